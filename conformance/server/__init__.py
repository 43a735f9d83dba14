"""The reference server: the documented MiMo contract, answered deterministically.

Layers, each a pure step so a fault can be injected between any two: a valid request becomes a
:class:`~.prompt.Prompt`, the prompt an abstract :class:`~.answer.Answer` (text, reasoning, tool
calls, finish, usage), the answer a protocol document or SSE item list (``render_openai``,
``render_anthropic``), and that becomes bytes (``wire``). The server never imports a check.
"""

from .app import DIALECTS, create_app
from .run import KEY_ENV, RunningServer, main, serve_in_thread

__all__ = ["DIALECTS", "KEY_ENV", "RunningServer", "create_app", "main", "serve_in_thread"]
