"""The eval item set: big enough, both languages, schema-valid, and a broken file is one clear error."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conformance import schemas
from conformance.evals import items as item_data

FAMILIES = schemas.load("evals/items.schema.json")["$defs"]["family"]["enum"]


def test_at_least_250_items_across_every_family_in_both_languages():
    items = item_data.load()
    assert len(items) >= 250
    per_family = Counter(i["family"] for i in items)
    assert set(per_family) == set(FAMILIES)
    for family in FAMILIES:
        langs = Counter(i["lang"] for i in items if i["family"] == family)
        assert langs["en"] > 0 and langs["zh"] > 0, f"{family} has {dict(langs)}"


def test_function_calling_goes_through_both_protocols_and_every_protocol_is_exercised():
    items = item_data.load()
    assert all(i["protocols"] == ["openai", "anthropic"] for i in items if i["family"] == "function_calling")
    for family in set(FAMILIES) - {"json_mode"}:  # json_object mode is an OpenAI-protocol option
        used = {p for i in items if i["family"] == family for p in i["protocols"]}
        assert used == {"openai", "anthropic"}, family


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "items"
    shutil.copytree(item_data.ITEMS_DIR, folder)
    return folder


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("name, change, message", [
    ("arithmetic.json", lambda d: d["items"][3].pop("grader"), "arithmetic.json: /items/3: 'grader' is a required property"),
    ("json_mode.json", lambda d: d["items"][1].update(max_tokens=0), "json_mode.json: /items/1/max_tokens"),
    ("thinking.json", lambda d: d["items"][2].update(family="arithmetic"), "thinking.json: /items/2/family is 'arithmetic'"),
    ("thinking.json", lambda d: d["items"][1].update(id=d["items"][0]["id"]), "thinking.json: /items/1/id"),
    ("arithmetic.json", lambda d: d["items"][0]["grader"].update(tolerance=-1), "arithmetic.json: /items/0"),
])
def test_a_broken_items_file_is_one_error_naming_the_file_and_pointer(tmp_path, name, change, message):
    folder = _copy(tmp_path)
    _edit(folder, name, change)
    with pytest.raises(item_data.ItemError) as err:
        item_data.load(folder)
    assert message in str(err.value)


def test_a_file_that_is_not_json_names_the_line(tmp_path):
    folder = _copy(tmp_path)
    (folder / "arithmetic.json").write_text('{"family": ', encoding="utf-8")
    with pytest.raises(item_data.ItemError, match=r"arithmetic.json: not valid JSON at line 1"):
        item_data.load(folder)


def test_a_semantic_problem_a_grader_finds_is_reported_with_the_item(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "function_calling.json", lambda d: d["items"][0]["grader"]["expected"][0].update(name="no_such_tool"))
    with pytest.raises(item_data.ItemError, match=r"function_calling.json: /items/0 \(fc\."):
        item_data.load(folder)


def test_the_digest_changes_with_any_item():
    items = item_data.load()
    changed = [dict(i) for i in items]
    changed[0] = {**changed[0], "max_tokens": changed[0]["max_tokens"] + 1}
    assert item_data.digest(items) == item_data.digest([dict(i) for i in items])
    assert item_data.digest(changed) != item_data.digest(items)
