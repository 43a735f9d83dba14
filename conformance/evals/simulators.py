"""Small tool simulators for multi-turn tool-use items (the tau-bench idea, Yao et al. 2024).

An item names a simulator and its initial state (``item["simulator"]``, checked by
``schemas/evals/graders/final_state.schema.json#/$defs/simulator``). The runner builds one with
``make(spec)``, offers the model ``tools(name)``, answers each call with ``Simulator.call`` and
hands ``Simulator.state()`` to the ``final_state`` grader. A simulator is pure Python over a
JSON state: no clock, no randomness, no I/O; the same calls give the same state and results.
``call`` never raises: an unknown tool, bad arguments (``conformance.evals.arguments``) or a
refused operation (insufficient funds) come back as ``{"error": "..."}`` and change nothing.
"""

from __future__ import annotations

import copy
import datetime
import re
from typing import Any, Callable, ClassVar

from .arguments import argument_problems, present

__all__ = ["SIMULATORS", "Simulator", "make", "tools"]

Method = Callable[..., Any]


class Refused(Exception):
    """An operation the simulated service refuses: the model sees ``{"error": message}``."""


def tool(description: str, required: tuple[str, ...] = (), **properties: dict[str, Any]) -> Callable[[Method], Method]:
    """Mark a method as a tool, with its description and parameters (JSON Schema per argument)."""
    def mark(method: Method) -> Method:
        parameters = {"type": "object", "properties": properties, "required": list(required)}
        method.tool = {"name": method.__name__, "description": description, "parameters": parameters}  # type: ignore[attr-defined]
        return method
    return mark


def _string(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _integer(description: str) -> dict[str, Any]:
    return {"type": "integer", "description": description}


def _number(description: str) -> dict[str, Any]:
    return {"type": "number", "description": description}


def _boolean(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


class Simulator:
    """A service the model operates through tools; subclasses define the tools as methods."""

    name: ClassVar[str]

    def __init__(self, state: dict[str, Any]) -> None:
        self._state = copy.deepcopy(state)

    @classmethod
    def methods(cls) -> dict[str, Method]:
        """The tool methods, by tool name, in the order the class defines them."""
        return {m.tool["name"]: m for m in vars(cls).values() if hasattr(m, "tool")}

    @classmethod
    def tools(cls) -> list[dict[str, Any]]:
        """The tool definitions ({name, description, parameters}) an item must carry."""
        return [copy.deepcopy(m.tool) for m in cls.methods().values()]

    def call(self, name: str, arguments: Any) -> Any:
        """The result of one tool call; a bad call or a refused one gives ``{"error": ...}``."""
        method = self.methods().get(name)
        if method is None:
            return {"error": f"unknown tool {name!r}; tools: {', '.join(self.methods())}"}
        problems = argument_problems(method.tool["parameters"], arguments)
        if problems:
            return {"error": "bad arguments: " + "; ".join(problems)}
        try:
            return method(self, **present(arguments))
        except Refused as exc:
            return {"error": str(exc)}

    def state(self) -> dict[str, Any]:
        """A deep copy of the current state."""
        return copy.deepcopy(self._state)


def _money(value: float) -> float:
    return round(value, 2)


def _amount(amount: float) -> float:
    if amount <= 0 or round(amount, 2) != amount:
        raise Refused(f"amount must be positive with at most 2 decimals, got {amount}")
    return amount


class Bank(Simulator):
    """Accounts with balances; transfers between them, refused when funds are short."""

    name = "bank"

    def _account(self, account_id: str) -> dict[str, Any]:
        try:
            return self._state["accounts"][account_id]
        except KeyError:
            raise Refused(f"no account {account_id!r}") from None

    @tool("List accounts (id, owner, kind, balance), optionally only those whose owner name contains the given text.",
          owner=_string("Part of the owner's name, case-insensitive."))
    def list_accounts(self, owner: str = "") -> list[dict[str, Any]]:
        accounts = self._state["accounts"].items()
        return [{"account_id": k, **v} for k, v in accounts if owner.strip().casefold() in v["owner"].casefold()]

    @tool("Get the balance of one account.", ("account_id",), account_id=_string("Account id, e.g. CHK-1001."))
    def get_balance(self, account_id: str) -> dict[str, Any]:
        return {"account_id": account_id, "balance": self._account(account_id)["balance"]}

    @tool("Move money from one account to another. Refused when the source balance is too low.",
          ("from_account", "to_account", "amount"),
          from_account=_string("Source account id."), to_account=_string("Destination account id."),
          amount=_number("Amount to move, positive, at most 2 decimals."), memo=_string("Optional note kept with the transfer."))
    def transfer(self, from_account: str, to_account: str, amount: float, memo: str = "") -> dict[str, Any]:
        source, target, amount = self._account(from_account), self._account(to_account), _amount(amount)
        if from_account == to_account:
            raise Refused("source and destination are the same account")
        if source["balance"] < amount:
            raise Refused(f"insufficient funds: {from_account} holds {source['balance']}, transfer needs {amount}")
        source["balance"], target["balance"] = _money(source["balance"] - amount), _money(target["balance"] + amount)
        self._state["transfers"].append({"from": from_account, "to": to_account, "amount": amount, "memo": memo})
        return {"ok": True, "from_balance": source["balance"]}


PRIORITIES = ["low", "normal", "high"]


class Todo(Simulator):
    """A to-do list: tasks by id, each with a title, a priority and a done flag."""

    name = "todo"

    def _task(self, task_id: int) -> dict[str, Any]:
        try:
            return self._state["tasks"][str(task_id)]
        except KeyError:
            raise Refused(f"no task {task_id}") from None

    @tool("List tasks with their ids, titles, priorities and done flags.",
          include_done=_boolean("Whether finished tasks are listed too (default true)."))
    def list_tasks(self, include_done: bool = True) -> list[dict[str, Any]]:
        tasks = self._state["tasks"].items()
        return [{"task_id": int(k), **v} for k, v in tasks if include_done or not v["done"]]

    @tool("Add an open task; returns its id. Titles must be unique.", ("title",),
          title=_string("The task's title."), priority=_string("Priority, default normal.", enum=PRIORITIES))
    def add_task(self, title: str, priority: str = "normal") -> dict[str, Any]:
        if not title.strip() or any(t["title"].casefold() == title.strip().casefold() for t in self._state["tasks"].values()):
            raise Refused(f"title {title!r} is empty or already used")
        task_id = self._state["next_id"]
        self._state["tasks"][str(task_id)] = {"title": title.strip(), "done": False, "priority": priority}
        self._state["next_id"] = task_id + 1
        return {"task_id": task_id}

    @tool("Mark a task as done.", ("task_id",), task_id=_integer("The task's id."))
    def complete_task(self, task_id: int) -> dict[str, Any]:
        task = self._task(task_id)
        if task["done"]:
            raise Refused(f"task {task_id} is already done")
        task["done"] = True
        return {"ok": True}

    @tool("Change a task's priority.", ("task_id", "priority"),
          task_id=_integer("The task's id."), priority=_string("The new priority.", enum=PRIORITIES))
    def set_priority(self, task_id: int, priority: str) -> dict[str, Any]:
        self._task(task_id)["priority"] = priority
        return {"ok": True}

    @tool("Delete a task.", ("task_id",), task_id=_integer("The task's id."))
    def delete_task(self, task_id: int) -> dict[str, Any]:
        self._task(task_id)
        del self._state["tasks"][str(task_id)]
        return {"ok": True}


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _is_date(text: str) -> bool:
    try:
        return bool(_DATE.match(text)) and bool(datetime.date.fromisoformat(text))
    except ValueError:
        return False


def _slot(day: str, start: str, end: str) -> tuple[str, str, str]:
    if not _is_date(day):
        raise Refused(f"date must be YYYY-MM-DD, got {day!r}")
    if not (_TIME.match(start) and _TIME.match(end)) or end <= start:
        raise Refused(f"times must be HH:MM with start before end, got {start!r}-{end!r}")
    return day, start, end


class Calendar(Simulator):
    """Meeting rooms with capacities and bookings; overlapping bookings are refused."""

    name = "calendar"

    def _free(self, room: str, day: str, start: str, end: str) -> bool:
        bookings = self._state["bookings"].values()
        return not any(b["room"] == room and b["date"] == day and b["start"] < end and start < b["end"] for b in bookings)

    @tool("List meeting rooms with capacity and floor, optionally only rooms for at least min_capacity people.",
          min_capacity=_integer("Smallest capacity wanted."))
    def list_rooms(self, min_capacity: int = 0) -> list[dict[str, Any]]:
        return [{"room": k, **v} for k, v in sorted(self._state["rooms"].items()) if v["capacity"] >= min_capacity]

    @tool("List rooms free for a whole time slot, smallest capacity first.", ("date", "start", "end"),
          date=_string("Day, YYYY-MM-DD."), start=_string("Start time, HH:MM (24h)."), end=_string("End time, HH:MM (24h)."),
          min_capacity=_integer("Smallest capacity wanted."))
    def find_free_rooms(self, date: str, start: str, end: str, min_capacity: int = 0) -> list[dict[str, Any]]:
        day, start, end = _slot(date, start, end)
        rooms = [r for r in self.list_rooms(min_capacity) if self._free(r["room"], day, start, end)]
        return sorted(rooms, key=lambda r: (r["capacity"], r["room"]))

    @tool("List bookings (id, room, date, start, end, title, attendees), optionally for one date.",
          date=_string("Day, YYYY-MM-DD."))
    def list_bookings(self, date: str = "") -> list[dict[str, Any]]:
        bookings = sorted(self._state["bookings"].items(), key=lambda kv: (kv[1]["date"], kv[1]["start"], kv[0]))
        return [{"booking_id": k, **v} for k, v in bookings if date in ("", v["date"])]

    @tool("Book a room for a time slot; returns the booking id. Refused when the room is taken or too small.",
          ("room", "date", "start", "end", "title", "attendees"),
          room=_string("Room name."), date=_string("Day, YYYY-MM-DD."), start=_string("Start time, HH:MM (24h)."),
          end=_string("End time, HH:MM (24h)."), title=_string("Meeting title."), attendees=_integer("Number of people."))
    def book_room(self, room: str, date: str, start: str, end: str, title: str, attendees: int) -> dict[str, Any]:
        day, start, end = _slot(date, start, end)
        if room not in self._state["rooms"]:
            raise Refused(f"no room {room!r}")
        if not 0 < attendees <= self._state["rooms"][room]["capacity"]:
            raise Refused(f"{room} seats {self._state['rooms'][room]['capacity']}, not {attendees}")
        if not self._free(room, day, start, end):
            raise Refused(f"{room} is already booked during {day} {start}-{end}")
        booking_id = f"b{self._state['next_id']}"
        self._state["bookings"][booking_id] = {"room": room, "date": day, "start": start, "end": end, "title": title.strip(), "attendees": attendees}
        self._state["next_id"] += 1
        return {"booking_id": booking_id}

    @tool("Cancel a booking.", ("booking_id",), booking_id=_string("Booking id, e.g. b1."))
    def cancel_booking(self, booking_id: str) -> dict[str, Any]:
        if self._state["bookings"].pop(booking_id, None) is None:
            raise Refused(f"no booking {booking_id!r}")
        return {"ok": True}


class Shop(Simulator):
    """A shop: products with price and stock, a cart, and orders placed at checkout."""

    name = "shop"

    def _product(self, sku: str) -> dict[str, Any]:
        try:
            return self._state["products"][sku]
        except KeyError:
            raise Refused(f"no product {sku!r}") from None

    @tool("Search products whose name contains every word of the query (case-insensitive); an empty query lists all.",
          ("query",), query=_string("Words to look for."))
    def search_products(self, query: str) -> list[dict[str, Any]]:
        words = query.casefold().split()
        products = self._state["products"].items()
        return [{"sku": k, **v} for k, v in products if all(w in v["name"].casefold() for w in words)]

    @tool("Add a quantity of a product to the cart. Refused beyond the stock.", ("sku", "quantity"),
          sku=_string("Product SKU, e.g. SKU-101."), quantity=_integer("How many, at least 1."))
    def add_to_cart(self, sku: str, quantity: int) -> dict[str, Any]:
        stock, held = self._product(sku)["stock"], self._state["cart"].get(sku, 0)
        if quantity < 1 or held + quantity > stock:
            raise Refused(f"cannot add {quantity} of {sku}: {stock} in stock, {held} already in the cart")
        self._state["cart"][sku] = held + quantity
        return {"ok": True, "in_cart": held + quantity}

    @tool("Remove a product from the cart: a quantity of it, or all of it when no quantity is given.", ("sku",),
          sku=_string("Product SKU."), quantity=_integer("How many to remove."))
    def remove_from_cart(self, sku: str, quantity: int = 0) -> dict[str, Any]:
        held = self._state["cart"].get(sku, 0)
        if not held or quantity < 0:
            raise Refused(f"{sku!r} is not in the cart" if not held else f"bad quantity {quantity}")
        left = max(held - quantity, 0) if quantity else 0
        if left:
            self._state["cart"][sku] = left
        else:
            del self._state["cart"][sku]
        return {"ok": True, "in_cart": left}

    def _total(self) -> float:
        return _money(sum(self._state["products"][k]["price"] * n for k, n in self._state["cart"].items()))

    @tool("Show the cart: items with quantities and prices, and the total.")
    def view_cart(self) -> dict[str, Any]:
        items = [{"sku": k, "name": self._state["products"][k]["name"], "quantity": n} for k, n in self._state["cart"].items()]
        return {"items": items, "total": self._total()}

    @tool("Place an order for everything in the cart; returns the order id and total.")
    def checkout(self) -> dict[str, Any]:
        if not self._state["cart"]:
            raise Refused("the cart is empty")
        order_id, total = f"o{self._state['next_order']}", self._total()
        for sku, quantity in self._state["cart"].items():
            self._state["products"][sku]["stock"] -= quantity
        self._state["orders"][order_id] = {"items": self._state["cart"], "total": total}
        self._state["cart"], self._state["next_order"] = {}, self._state["next_order"] + 1
        return {"order_id": order_id, "total": total}


class Notes(Simulator):
    """Key-value notes: short texts under exact, case-sensitive keys."""

    name = "notes"

    @tool("List the keys of all notes.")
    def list_notes(self) -> list[str]:
        return sorted(self._state["notes"])

    @tool("Read one note.", ("key",), key=_string("The note's key (exact)."))
    def get_note(self, key: str) -> dict[str, Any]:
        if key not in self._state["notes"]:
            raise Refused(f"no note {key!r}")
        return {"key": key, "text": self._state["notes"][key]}

    @tool("Create a note, or replace the text of an existing one.", ("key", "text"),
          key=_string("The note's key (exact)."), text=_string("The note's full text."))
    def set_note(self, key: str, text: str) -> dict[str, Any]:
        if not key.strip():
            raise Refused("the key is empty")
        created = key not in self._state["notes"]
        self._state["notes"][key] = text
        return {"ok": True, "created": created}

    @tool("Delete a note.", ("key",), key=_string("The note's key (exact)."))
    def delete_note(self, key: str) -> dict[str, Any]:
        if self._state["notes"].pop(key, None) is None:
            raise Refused(f"no note {key!r}")
        return {"ok": True}


SIMULATORS: dict[str, type[Simulator]] = {cls.name: cls for cls in (Bank, Calendar, Notes, Shop, Todo)}


def _kind(name: str) -> type[Simulator]:
    try:
        return SIMULATORS[name]
    except KeyError:
        raise ValueError(f"unknown simulator {name!r}; known: {', '.join(SIMULATORS)}") from None


def make(spec: dict[str, Any]) -> Simulator:
    """A fresh simulator from an item's ``simulator`` spec: ``{"name": ..., "state": {...}}``."""
    return _kind(spec["name"])(spec["state"])


def tools(name: str) -> list[dict[str, Any]]:
    """The tool definitions of simulator ``name``, as an item's ``tools`` carries them."""
    return _kind(name).tools()
