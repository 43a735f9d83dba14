"""Write evals/items/multi_turn_tools.json: multi-turn tool use scored on a simulator's final state.

Each task below carries its initial state, the partial final state it must reach, the parts that
must not change, and one solution (the calls that solve it) that tests/test_eval_simulators.py
replays; the items' tools come from ``conformance.evals.simulators.tools`` so they stay in sync.
Rerunning this script reproduces the file byte for byte: ``python3 evals/generate_multi_turn.py``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.evals import simulators  # noqa: E402 - after the path is set

OUT = ROOT / "evals" / "items" / "multi_turn_tools.json"
MAX_TOKENS = 200

Call = tuple[str, dict[str, Any]]


class Task(NamedTuple):
    """One item's content: what is asked, from where, what must hold after, and one way to get there."""

    slug: str
    lang: str
    stratum: str  # direct: the request names everything; lookup: a call's result decides a later call
    prompt: str
    state: dict[str, Any]
    expected: dict[str, Any]
    unchanged: list[str]
    solution: list[Call]


SYSTEM = {
    "en": "You operate the {service} for the user through the tools provided. Carry out the request completely with the tools, "
          "without asking for confirmation, then reply with one short sentence.",
    "zh": "你通过提供的工具替用户操作{service}。请直接用工具完整地完成请求，不要征求确认，完成后用一句话简短回复。",
}
SERVICE = {
    "bank": {"en": "online bank (the user is Maya Chen)", "zh": "网上银行（用户是王芳）"},
    "todo": {"en": "to-do list app", "zh": "待办事项应用"},
    "calendar": {"en": "meeting-room booking system", "zh": "会议室预订系统"},
    "shop": {"en": "online shop", "zh": "网上商店"},
    "notes": {"en": "notes app", "zh": "笔记应用"},
}


def _bank(lang: str) -> dict[str, Any]:
    me, jonas, priya = ("Maya Chen", "Jonas Berg", "Priya Nair") if lang == "en" else ("王芳", "李伟", "陈静")
    accounts = {
        "CHK-1001": {"owner": me, "kind": "checking", "balance": 2450.0},
        "SAV-1002": {"owner": me, "kind": "savings", "balance": 8200.0},
        "CHK-2001": {"owner": jonas, "kind": "checking", "balance": 310.5},
        "SAV-2002": {"owner": jonas, "kind": "savings", "balance": 1500.0},
        "CHK-3001": {"owner": priya, "kind": "checking", "balance": 95.2},
    }
    return {"accounts": accounts, "transfers": []}


def _todo(lang: str) -> dict[str, Any]:
    titles = (["Renew passport", "Book dentist appointment", "Return library books", "Pay electricity bill"] if lang == "en"
              else ["续签护照", "预约牙医", "归还图书馆的书", "缴纳电费"])
    flags = [(False, "high"), (False, "normal"), (True, "low"), (False, "normal")]
    tasks = {str(i): {"title": t, "done": d, "priority": p} for i, (t, (d, p)) in enumerate(zip(titles, flags), 1)}
    return {"tasks": tasks, "next_id": 5}


def _calendar(lang: str) -> dict[str, Any]:
    titles = ["Design review", "Quarterly planning", "All hands"] if lang == "en" else ["设计评审", "季度规划", "全员大会"]
    rooms = {"Aspen": {"capacity": 4, "floor": 1}, "Birch": {"capacity": 8, "floor": 2},
             "Cedar": {"capacity": 12, "floor": 2}, "Maple": {"capacity": 20, "floor": 3}}
    slots = [("Birch", "2026-03-10", "09:00", "10:30", 6), ("Cedar", "2026-03-10", "14:00", "15:00", 10),
             ("Maple", "2026-03-11", "10:00", "12:00", 18)]
    bookings = {f"b{i}": {"room": r, "date": d, "start": s, "end": e, "title": t, "attendees": n}
                for i, ((r, d, s, e, n), t) in enumerate(zip(slots, titles), 1)}
    return {"rooms": rooms, "bookings": bookings, "next_id": 4}


def _shop(lang: str, cart: dict[str, int] | None = None) -> dict[str, Any]:
    names = (["USB-C cable 1m", "USB-C cable 2m", "Wireless mouse", "Mechanical keyboard", "Laptop stand", "USB-C charger 65W"]
             if lang == "en" else ["USB-C 数据线 1 米", "USB-C 数据线 2 米", "无线鼠标", "机械键盘", "笔记本支架", "USB-C 充电器 65W"])
    prices_stock = [(9.99, 25), (7.99, 0), (24.5, 8), (89.0, 3), (35.0, 5), (39.9, 12)]
    products = {f"SKU-{101 + i}": {"name": n, "price": p, "stock": s} for i, (n, (p, s)) in enumerate(zip(names, prices_stock))}
    return {"products": products, "cart": dict(cart or {}), "orders": {}, "next_order": 1}


def _notes(lang: str) -> dict[str, Any]:
    notes = ({"wifi": "Network HomeNet, password on the fridge", "dentist": "Dr. Alvarez, Tuesdays 4pm",
              "groceries": "milk, eggs, rice", "door-code": "4512"} if lang == "en" else
             {"wifi": "网络名 HomeNet，密码贴在冰箱上", "dentist": "阿尔瓦雷斯医生，每周二下午四点",
              "groceries": "牛奶、鸡蛋、大米", "door-code": "4512"})
    return {"notes": notes}


def _call(name: str, **arguments: Any) -> Call:
    return name, arguments


TASKS: dict[str, list[Task]] = {
    "bank": [
        Task("transfer_then_balance", "en", "direct",
             "Transfer 200 from CHK-1001 to SAV-1002, then tell me the new balance of CHK-1001.", _bank("en"),
             {"accounts": {"CHK-1001": {"balance": 2250}, "SAV-1002": {"balance": 8400}}}, ["/accounts/CHK-2001", "/accounts/CHK-3001"],
             [_call("transfer", from_account="CHK-1001", to_account="SAV-1002", amount=200), _call("get_balance", account_id="CHK-1001")]),
        Task("pay_friend_by_name", "en", "lookup",
             "Send Jonas Berg 150 from my checking account for the concert tickets. Pay into his checking account.", _bank("en"),
             {"accounts": {"CHK-1001": {"balance": 2300}, "CHK-2001": {"balance": 460.5}}}, ["/accounts/SAV-2002", "/accounts/SAV-1002"],
             [_call("list_accounts", owner="Jonas Berg"),
              _call("transfer", from_account="CHK-1001", to_account="CHK-2001", amount=150, memo="concert tickets")]),
        Task("move_half_of_savings", "en", "lookup",
             "Move half of what is in my savings account into my checking account.", _bank("en"),
             {"accounts": {"SAV-1002": {"balance": 4100}, "CHK-1001": {"balance": 6550}}}, ["/accounts/CHK-2001", "/accounts/SAV-2002"],
             [_call("list_accounts", owner="Maya Chen"),
              _call("transfer", from_account="SAV-1002", to_account="CHK-1001", amount=4100)]),
        Task("top_up_to_exact_balance", "en", "lookup",
             "Priya Nair is short of money. Top up her checking account from my checking account so that hers holds exactly 500.",
             _bank("en"),
             {"accounts": {"CHK-3001": {"balance": 500}, "CHK-1001": {"balance": 2045.2}}}, ["/accounts/SAV-1002"],
             [_call("list_accounts", owner="Priya"),
              _call("transfer", from_account="CHK-1001", to_account="CHK-3001", amount=404.8)]),
        Task("zh_two_transfers", "zh", "direct",
             "先从 SAV-1002 转 1000 到 CHK-1001，再从 CHK-1001 转 300 到 CHK-2001。", _bank("zh"),
             {"accounts": {"SAV-1002": {"balance": 7200}, "CHK-1001": {"balance": 3150}, "CHK-2001": {"balance": 610.5}}},
             ["/accounts/CHK-3001"],
             [_call("transfer", from_account="SAV-1002", to_account="CHK-1001", amount=1000),
              _call("transfer", from_account="CHK-1001", to_account="CHK-2001", amount=300)]),
        Task("zh_leave_exact_balance", "zh", "lookup",
             "从我的支票账户转一笔钱到陈静的支票账户，转完后我的支票账户正好剩 2000 元。", _bank("zh"),
             {"accounts": {"CHK-1001": {"balance": 2000}, "CHK-3001": {"balance": 545.2}}}, ["/accounts/SAV-1002", "/accounts/CHK-2001"],
             [_call("list_accounts"), _call("transfer", from_account="CHK-1001", to_account="CHK-3001", amount=450)]),
    ],
    "todo": [
        Task("add_and_complete", "en", "direct",
             "Add a task \"Water the plants\" with low priority, and mark task 2 as done.", _todo("en"),
             {"tasks": {"5": {"title": "Water the plants", "priority": "low", "done": False}, "2": {"done": True}}},
             ["/tasks/1", "/tasks/4"],
             [_call("add_task", title="Water the plants", priority="low"), _call("complete_task", task_id=2)]),
        Task("tick_off_by_title", "en", "lookup",
             "I've paid the electricity bill: tick it off my list. Also raise the dentist task to high priority.", _todo("en"),
             {"tasks": {"4": {"done": True}, "2": {"priority": "high", "done": False}}}, ["/tasks/1", "/tasks/3"],
             [_call("list_tasks"), _call("complete_task", task_id=4), _call("set_priority", task_id=2, priority="high")]),
        Task("clear_done_then_add", "en", "lookup",
             "Delete every task that is already done, then add \"Call the landlord\" as a normal-priority task.", _todo("en"),
             {"tasks": {"3": None, "5": {"title": "Call the landlord", "priority": "normal", "done": False}}},
             ["/tasks/1", "/tasks/2", "/tasks/4"],
             [_call("list_tasks"), _call("delete_task", task_id=3), _call("add_task", title="Call the landlord", priority="normal")]),
        Task("lower_all_but_one", "en", "lookup",
             "Set every open task to low priority, except the passport one.", _todo("en"),
             {"tasks": {"2": {"priority": "low"}, "4": {"priority": "low"}}}, ["/tasks/1", "/tasks/3", "/next_id"],
             [_call("list_tasks", include_done=False), _call("set_priority", task_id=2, priority="low"),
              _call("set_priority", task_id=4, priority="low")]),
        Task("zh_add_and_complete", "zh", "direct",
             "添加一个任务“给妈妈打电话”，优先级设为高；再把任务 4 标记为完成。", _todo("zh"),
             {"tasks": {"5": {"title": "给妈妈打电话", "priority": "high", "done": False}, "4": {"done": True}}}, ["/tasks/1", "/tasks/2"],
             [_call("add_task", title="给妈妈打电话", priority="high"), _call("complete_task", task_id=4)]),
        Task("zh_delete_and_complete_by_title", "zh", "lookup",
             "把“预约牙医”这个任务删掉，再把护照那个任务标记为完成。", _todo("zh"),
             {"tasks": {"2": None, "1": {"done": True}}}, ["/tasks/3", "/tasks/4", "/next_id"],
             [_call("list_tasks"), _call("delete_task", task_id=2), _call("complete_task", task_id=1)]),
    ],
    "calendar": [
        Task("book_then_check", "en", "direct",
             "Book Aspen on 2026-03-12 from 13:00 to 14:00 for \"Interview debrief\" with 3 people, then show me that day's bookings.",
             _calendar("en"),
             {"bookings": {"b4": {"room": "Aspen", "date": "2026-03-12", "start": "13:00", "end": "14:00", "title": "Interview debrief",
                                  "attendees": 3}}}, ["/bookings/b1", "/bookings/b2", "/bookings/b3"],
             [_call("book_room", room="Aspen", date="2026-03-12", start="13:00", end="14:00", title="Interview debrief", attendees=3),
              _call("list_bookings", date="2026-03-12")]),
        Task("smallest_free_room", "en", "lookup",
             "I need a room for 9 people on 2026-03-10 from 14:00 to 15:00 for \"Vendor demo\". Book the smallest room that is free "
             "and fits.", _calendar("en"),
             {"bookings": {"b4": {"room": "Maple", "date": "2026-03-10", "start": "14:00", "end": "15:00", "title": "Vendor demo"}}},
             ["/bookings/b2"],
             [_call("find_free_rooms", date="2026-03-10", start="14:00", end="15:00", min_capacity=9),
              _call("book_room", room="Maple", date="2026-03-10", start="14:00", end="15:00", title="Vendor demo", attendees=9)]),
        Task("cancel_and_rebook", "en", "lookup",
             "Cancel the design review on 2026-03-10, and book Birch for \"Sprint retro\" from 11:00 to 12:00 that day for 5 people.",
             _calendar("en"),
             {"bookings": {"b1": None, "b4": {"room": "Birch", "date": "2026-03-10", "start": "11:00", "end": "12:00",
                                              "title": "Sprint retro", "attendees": 5}}}, ["/bookings/b2", "/bookings/b3"],
             [_call("list_bookings", date="2026-03-10"), _call("cancel_booking", booking_id="b1"),
              _call("book_room", room="Birch", date="2026-03-10", start="11:00", end="12:00", title="Sprint retro", attendees=5)]),
        Task("move_meeting", "en", "lookup",
             "Move the quarterly planning meeting to 2026-03-12: same room, same time, same attendees.", _calendar("en"),
             {"bookings": {"b2": None, "b4": {"room": "Cedar", "date": "2026-03-12", "start": "14:00", "end": "15:00",
                                              "title": "Quarterly planning", "attendees": 10}}}, ["/bookings/b1", "/bookings/b3"],
             [_call("list_bookings"),
              _call("book_room", room="Cedar", date="2026-03-12", start="14:00", end="15:00", title="Quarterly planning", attendees=10),
              _call("cancel_booking", booking_id="b2")]),
        Task("zh_cancel_then_book", "zh", "direct",
             "先取消预订 b3，再预订 Maple 会议室：2026-03-11 10:00 到 11:00，主题“新人培训”，15 人。", _calendar("zh"),
             {"bookings": {"b3": None, "b4": {"room": "Maple", "date": "2026-03-11", "start": "10:00", "end": "11:00",
                                              "title": "新人培训", "attendees": 15}}}, ["/bookings/b1", "/bookings/b2"],
             [_call("cancel_booking", booking_id="b3"),
              _call("book_room", room="Maple", date="2026-03-11", start="10:00", end="11:00", title="新人培训", attendees=15)]),
        Task("zh_smallest_free_room", "zh", "lookup",
             "2026-03-10 上午 09:30 到 10:00 需要一间能坐 6 个人的会议室开“客户电话会”，请预订能坐下的最小的空闲会议室。", _calendar("zh"),
             {"bookings": {"b4": {"room": "Cedar", "date": "2026-03-10", "start": "09:30", "end": "10:00", "title": "客户电话会",
                                  "attendees": 6}}}, ["/bookings/b1"],
             [_call("find_free_rooms", date="2026-03-10", start="09:30", end="10:00", min_capacity=6),
              _call("book_room", room="Cedar", date="2026-03-10", start="09:30", end="10:00", title="客户电话会", attendees=6)]),
    ],
    "shop": [
        Task("add_two_and_checkout", "en", "direct",
             "Put 2 of SKU-103 and 1 of SKU-105 in my cart and check out.", _shop("en"),
             {"orders": {"o1": {"items": {"SKU-103": 2, "SKU-105": 1}, "total": 84.0}}, "cart": {},
              "products": {"SKU-103": {"stock": 6}, "SKU-105": {"stock": 4}}}, ["/products/SKU-101", "/products/SKU-104"],
             [_call("add_to_cart", sku="SKU-103", quantity=2), _call("add_to_cart", sku="SKU-105", quantity=1), _call("checkout")]),
        Task("cheapest_in_stock", "en", "lookup",
             "Buy 3 of the cheapest USB-C cable that is in stock.", _shop("en"),
             {"orders": {"o1": {"items": {"SKU-101": 3}, "total": 29.97}}, "products": {"SKU-101": {"stock": 22}}},
             ["/products/SKU-102", "/products/SKU-106"],
             [_call("search_products", query="USB-C cable"), _call("add_to_cart", sku="SKU-101", quantity=3), _call("checkout")]),
        Task("swap_in_cart", "en", "lookup",
             "Take the keyboard out of my cart, add one wireless mouse, and place the order.", _shop("en", {"SKU-104": 1, "SKU-101": 2}),
             {"orders": {"o1": {"items": {"SKU-101": 2, "SKU-103": 1, "SKU-104": None}, "total": 44.48}}, "cart": {}},
             ["/products/SKU-104"],
             [_call("view_cart"), _call("remove_from_cart", sku="SKU-104"), _call("search_products", query="wireless mouse"),
              _call("add_to_cart", sku="SKU-103", quantity=1), _call("checkout")]),
        Task("buy_all_left", "en", "lookup",
             "How many laptop stands are left? Buy all of them.", _shop("en"),
             {"orders": {"o1": {"items": {"SKU-105": 5}, "total": 175.0}}, "products": {"SKU-105": {"stock": 0}}},
             ["/products/SKU-103"],
             [_call("search_products", query="laptop stand"), _call("add_to_cart", sku="SKU-105", quantity=5), _call("checkout")]),
        Task("zh_add_two_and_checkout", "zh", "direct",
             "把 SKU-106 加 2 个到购物车，SKU-101 加 1 个，然后结账。", _shop("zh"),
             {"orders": {"o1": {"items": {"SKU-106": 2, "SKU-101": 1}, "total": 89.79}}, "cart": {}}, ["/products/SKU-103"],
             [_call("add_to_cart", sku="SKU-106", quantity=2), _call("add_to_cart", sku="SKU-101", quantity=1), _call("checkout")]),
        Task("zh_find_and_buy_two", "zh", "lookup",
             "帮我买一个机械键盘和一个无线鼠标，直接下单。", _shop("zh"),
             {"orders": {"o1": {"items": {"SKU-104": 1, "SKU-103": 1}, "total": 113.5}}, "cart": {}}, ["/products/SKU-105"],
             [_call("search_products", query="机械键盘"), _call("search_products", query="无线鼠标"),
              _call("add_to_cart", sku="SKU-104", quantity=1), _call("add_to_cart", sku="SKU-103", quantity=1), _call("checkout")]),
    ],
    "notes": [
        Task("create_and_delete", "en", "direct",
             "Create a note \"parking\" with the text \"Level 3, spot 42\", and delete the note \"dentist\".", _notes("en"),
             {"notes": {"parking": "Level 3, spot 42", "dentist": None}}, ["/notes/wifi", "/notes/groceries", "/notes/door-code"],
             [_call("set_note", key="parking", text="Level 3, spot 42"), _call("delete_note", key="dentist")]),
        Task("copy_then_delete", "en", "lookup",
             "Copy the text of the note \"door-code\" into a new note \"guest-info\", then delete \"door-code\".", _notes("en"),
             {"notes": {"guest-info": "4512", "door-code": None}}, ["/notes/wifi", "/notes/dentist"],
             [_call("get_note", key="door-code"), _call("set_note", key="guest-info", text="4512"), _call("delete_note", key="door-code")]),
        Task("append_to_list", "en", "lookup",
             "Add bread to the end of my \"groceries\" note, in the same comma-separated format.", _notes("en"),
             {"notes": {"groceries": "milk, eggs, rice, bread"}}, ["/notes/wifi", "/notes/dentist", "/notes/door-code"],
             [_call("get_note", key="groceries"), _call("set_note", key="groceries", text="milk, eggs, rice, bread")]),
        Task("rename_note", "en", "lookup",
             "Rename the note \"wifi\" to \"home-wifi\", keeping its text exactly.", _notes("en"),
             {"notes": {"home-wifi": "Network HomeNet, password on the fridge", "wifi": None}}, ["/notes/groceries", "/notes/dentist"],
             [_call("get_note", key="wifi"), _call("set_note", key="home-wifi", text="Network HomeNet, password on the fridge"),
              _call("delete_note", key="wifi")]),
        Task("zh_create_and_replace", "zh", "direct",
             "新建笔记“gym”，内容是“周三 19:00 瑜伽课”；再把笔记“groceries”的内容改成“牛奶、鸡蛋”。", _notes("zh"),
             {"notes": {"gym": "周三 19:00 瑜伽课", "groceries": "牛奶、鸡蛋"}}, ["/notes/wifi", "/notes/dentist", "/notes/door-code"],
             [_call("set_note", key="gym", text="周三 19:00 瑜伽课"), _call("set_note", key="groceries", text="牛奶、鸡蛋")]),
        Task("zh_copy_code_and_delete", "zh", "lookup",
             "把笔记“door-code”里的密码原样复制到新笔记“backup-code”，并删除笔记“dentist”。", _notes("zh"),
             {"notes": {"backup-code": "4512", "door-code": "4512", "dentist": None}}, ["/notes/wifi", "/notes/groceries"],
             [_call("get_note", key="door-code"), _call("set_note", key="backup-code", text="4512"), _call("delete_note", key="dentist")]),
    ],
}


def ordered() -> list[tuple[str, Task]]:
    """Every (simulator, task) in file order: protocols alternate item by item, so every other
    simulator swaps its first two and last two tasks, letting direct and lookup tasks of both
    languages meet both protocols."""
    order = []
    for g, (name, tasks) in enumerate(TASKS.items()):
        tasks = [tasks[1], tasks[0], *tasks[2:4], tasks[5], tasks[4]] if g % 2 else tasks
        order += [(name, task) for task in tasks]
    return order


def item_id(name: str, task: Task) -> str:
    """The item id of a task."""
    return f"mt.{name}.{task.slug}"


SOLUTIONS: dict[str, list[Call]] = {item_id(name, task): task.solution for name, task in ordered()}


def item(index: int, name: str, task: Task) -> dict[str, Any]:
    """One item: the task as a user turn, the simulator's tools and state, the final state expected."""
    grader = {"type": "final_state", "expected": task.expected, "unchanged": task.unchanged}
    return {
        "id": item_id(name, task), "family": "multi_turn_tools", "stratum": task.stratum, "lang": task.lang,
        "system": SYSTEM[task.lang].format(service=SERVICE[name][task.lang]),
        "messages": [{"role": "user", "content": task.prompt}], "tools": simulators.tools(name),
        "max_tokens": MAX_TOKENS, "protocols": [("openai", "anthropic")[index % 2]], "requires": ["tools"],
        "simulator": {"name": name, "state": copy.deepcopy(task.state)},
        "max_turns": min(8, max(4, len(task.solution) + 2)), "grader": grader,
    }


def family() -> dict[str, Any]:
    """The whole file's content."""
    return {
        "family": "multi_turn_tools",
        "description": "Multi-turn tool use: the model carries out a request against a small simulated service (bank, to-do list, "
                       "room booking, shop, notes) over several turns, looking up what it needs; scored on the service's final state.",
        "sources": [
            {"name": "tau-bench (Yao et al. 2024)", "url": "https://arxiv.org/abs/2406.12045",
             "what": "Tool-agent tasks scored by comparing the final database state with the expected one, not the words."},
            {"name": "BFCL multi-turn", "url": "https://gorilla.cs.berkeley.edu/leaderboard.html",
             "what": "Multi-turn categories run against stateful pure-Python API simulators and checked on their resulting state."},
        ],
        "generator": "evals/generate_multi_turn.py",
        "items": [item(i, name, task) for i, (name, task) in enumerate(ordered())],
    }


def text() -> str:
    """The file's exact text."""
    return json.dumps(family(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
