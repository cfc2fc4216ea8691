"""Partial object matching: does this object have what the task asks for?

An expected value is a tree of plain YAML values and :class:`Matcher` objects. Maps match
partially (keys the task does not mention are ignored); lists match *order-independently* by
default (every expected item must match a different actual item) because Kubernetes lists such
as ``containers``, ``env`` and ``ports`` carry no meaning in their order and learners should not
fail for writing them differently. Scalars under ``image`` compare as image references and
values under ``requests``/``limits``/``capacity``... as resource quantities.

In YAML an operator is a map whose keys start with ``$`` (``{$regex: "^nginx"}``); in Python
the same operators are functions (:func:`regex`). Each mismatch carries its field path, what was
expected in plain words and what was observed, so a failure can say exactly where it is.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kubelab.checks.values import (
    images_equal,
    is_number,
    ordering_key,
    plain_equal,
    quantities_equal,
)


class SpecError(ValueError):
    """A check specification that cannot be understood (a mistake of the exercise's author)."""


class _Missing:
    """The value of a field that is not set at all (different from ``null`` or ``""``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: Keys whose values are resource lists: their entries compare as quantities.
QUANTITY_PARENTS = frozenset({"requests", "limits", "capacity", "allocatable", "hard", "used"})
QUANTITY_KEYS = frozenset({"sizeLimit", "storage"})
_SHORT = 80


def show(value: Any) -> str:
    """A value as a learner should read it in a message: short, unambiguous."""
    if value is MISSING:
        return "nothing (the field is not set)"
    if isinstance(value, str):
        return json.dumps(value) if value == "" or value != value.strip() else value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        text = json.dumps(value, separators=(", ", ": "), sort_keys=True, default=str)
        return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"
    return str(value)


@dataclass(frozen=True)
class Mismatch:
    """One field that differs: where, what was wanted (in words), what is there."""

    path: str
    expected: str
    observed: Any

    def render(self, hidden: bool = False) -> str:
        where = self.path or "the object"
        if hidden:
            if self.observed is MISSING:
                return f"{where} is not set, but the task needs it"
            return f"{where} is {show(self.observed)}, which is not what the task asks for"
        if self.observed is MISSING:
            return f"{where}: expected {self.expected}, but it is not set"
        return f"{where}: expected {self.expected}, found {show(self.observed)}"


def join_path(path: str, key: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def element_path(path: str, item: Any, index: int) -> str:
    """``containers[name=web]`` reads better than ``containers[0]`` and survives reordering."""
    if isinstance(item, dict):
        for key in ("name", "type"):
            if isinstance(item.get(key), str):
                return f"{path}[{key}={item[key]}]"
    return f"{path}[{index}]"


class Matcher(ABC):
    """Something an actual value can match, with a plain-words description of it."""

    @abstractmethod
    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        """Every way ``actual`` (at ``path``) differs; empty when it matches."""

    @abstractmethod
    def describe(self) -> str:
        """What is expected, in words a learner understands (``"at least 2"``)."""

    def matches(self, actual: Any) -> bool:
        return not self.mismatches(actual, "")

    def _fail(self, actual: Any, path: str) -> list[Mismatch]:
        return [Mismatch(path, self.describe(), actual)]


# --- scalars ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equals(Matcher):
    value: Any

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if self.value is None and actual is MISSING:
            return []
        return [] if plain_equal(self.value, actual) else self._fail(actual, path)

    def describe(self) -> str:
        return show(self.value)


@dataclass(frozen=True)
class QuantityEquals(Matcher):
    """``1Gi`` equals ``1024Mi``; ``500m`` equals ``0.5``."""

    value: str | int | float

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return [] if quantities_equal(self.value, actual) else self._fail(actual, path)

    def describe(self) -> str:
        return f"{self.value} (or an equal quantity)"


@dataclass(frozen=True)
class ImageEquals(Matcher):
    """``nginx`` equals ``docker.io/library/nginx:latest``; ``any_tag`` accepts every tag."""

    reference: str
    any_tag: bool = False

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if images_equal(self.reference, actual, self.any_tag):
            return []
        return self._fail(actual, path)

    def describe(self) -> str:
        return f"image {self.reference}" + (" (any tag)" if self.any_tag else "")


@dataclass(frozen=True)
class Regex(Matcher):
    """A regular expression searched in the text (anchor it with ``^...$`` to match it all)."""

    pattern: str

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise SpecError(f"invalid regular expression {self.pattern!r}: {exc}") from exc

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        text = _as_text(actual)
        if text is not None and re.search(self.pattern, text):
            return []
        return self._fail(actual, path)

    def describe(self) -> str:
        return f"text matching /{self.pattern}/"


@dataclass(frozen=True)
class Wildcard(Matcher):
    """Shell-style pattern over the whole text: ``nginx:1.*``, ``web-?``."""

    pattern: str

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        text = _as_text(actual)
        if text is not None and fnmatch.fnmatchcase(text, self.pattern):
            return []
        return self._fail(actual, path)

    def describe(self) -> str:
        return f"text like {self.pattern}"


_COMPARISONS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "gt": ("more than", lambda a, b: a > b),
    "gte": ("at least", lambda a, b: a >= b),
    "lt": ("less than", lambda a, b: a < b),
    "lte": ("at most", lambda a, b: a <= b),
}


@dataclass(frozen=True)
class Compare(Matcher):
    """Ordering that understands numbers and quantities (``{$gte: 256Mi}``)."""

    operator: str
    value: Any

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        want, have = ordering_key(self.value), ordering_key(actual)
        _, compare = _COMPARISONS[self.operator]
        if want is None or have is None or type(want) is not type(have):
            return self._fail(actual, path)
        return [] if compare(have, want) else self._fail(actual, path)

    def describe(self) -> str:
        return f"{_COMPARISONS[self.operator][0]} {show(self.value)}"


@dataclass(frozen=True)
class NotEqual(Matcher):
    value: Any

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return self._fail(actual, path) if plain_equal(self.value, actual) else []

    def describe(self) -> str:
        return f"anything but {show(self.value)}"


@dataclass(frozen=True)
class OneOf(Matcher):
    values: tuple[Any, ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if any(plain_equal(value, actual) for value in self.values):
            return []
        return self._fail(actual, path)

    def describe(self) -> str:
        return "one of " + ", ".join(show(value) for value in self.values)


@dataclass(frozen=True)
class Exists(Matcher):
    """``{$exists: false}`` requires a field to be unset (``null`` counts as unset)."""

    wanted: bool = True

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        present = actual is not MISSING and actual is not None
        return [] if present == self.wanted else self._fail(actual, path)

    def describe(self) -> str:
        return "the field to be set" if self.wanted else "the field not to be set"


@dataclass(frozen=True)
class Base64Decoded(Matcher):
    """Match the decoded text of a base64 value, such as a Secret's ``data`` entry."""

    inner: Matcher

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, str):
            return self._fail(actual, path)
        try:
            decoded = base64.b64decode(actual, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return self._fail(actual, path)
        return self.inner.mismatches(decoded, f"{path} (decoded)")

    def describe(self) -> str:
        return f"base64 of {self.inner.describe()}"


@dataclass(frozen=True)
class Predicate(Matcher):
    """Python's escape hatch: any function of the actual value, with words for it."""

    function: Callable[[Any], bool]
    description: str

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        try:
            ok = bool(self.function(actual))
        except Exception:  # noqa: BLE001 - a predicate that raises has simply not matched
            ok = False
        return [] if ok else self._fail(actual, path)

    def describe(self) -> str:
        return self.description


# --- logic ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Not(Matcher):
    inner: Matcher

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return self._fail(actual, path) if self.inner.matches(actual) else []

    def describe(self) -> str:
        return f"not {self.inner.describe()}"


@dataclass(frozen=True)
class AnyOf(Matcher):
    options: tuple[Matcher, ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if any(option.matches(actual) for option in self.options):
            return []
        return self._fail(actual, path)

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)


@dataclass(frozen=True)
class AllOf(Matcher):
    parts: tuple[Matcher, ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        return [m for part in self.parts for m in part.mismatches(actual, path)]

    def describe(self) -> str:
        return " and ".join(part.describe() for part in self.parts)


# --- maps and lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapMatcher(Matcher):
    """Every listed key must match; keys not listed are ignored (partial matching)."""

    fields: tuple[tuple[str, Matcher], ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, dict):
            return self._fail(actual, path)
        found: list[Mismatch] = []
        for key, matcher in self.fields:
            found.extend(matcher.mismatches(actual.get(key, MISSING), join_path(path, key)))
        return found

    def describe(self) -> str:
        return "{" + ", ".join(f"{key}: {m.describe()}" for key, m in self.fields) + "}"


def _assign(items: Sequence[Matcher], actual: list[Any]) -> list[int | None]:
    """Give each expected item its own matching actual element (maximum bipartite matching)."""
    fits = [[item.matches(element) for element in actual] for item in items]
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j, ok in enumerate(fits[i]):
            if ok and j not in seen:
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(items)):
        place(i, set())
    assigned: list[int | None] = [None] * len(items)
    for j, i in owner.items():
        assigned[i] = j
    return assigned


_IDENTITY_KEYS = ("name", "type")


def _identity(item: Matcher) -> tuple[str, Any] | None:
    """The ``name``/``type`` an expected list item asks for: what identifies it in the list."""
    if isinstance(item, MapMatcher):
        for key, matcher in item.fields:
            if key in _IDENTITY_KEYS and isinstance(matcher, Equals):
                return key, matcher.value
    return None


def _closest(item: Matcher, actual: list[Any], path: str) -> list[Mismatch]:
    """The differences from the most similar element, so the message points at a field.

    An item that names itself (``{type: Ready, ...}``) is compared with the element of that
    name; when no element has it, the item is reported missing rather than compared with an
    unrelated element.
    """
    identity = _identity(item)
    if identity is not None:
        key, value = identity
        same = [
            (index, element)
            for index, element in enumerate(actual)
            if isinstance(element, dict) and plain_equal(value, element.get(key))
        ]
        if not same:
            return [Mismatch(f"{path}[{key}={value}]", item.describe(), MISSING)]
        candidates = same
    else:
        candidates = list(enumerate(actual))
    scored = []
    for index, element in candidates:
        found = item.mismatches(element, element_path(path, element, index))
        # Fewer differences first; among equals, the one that agrees deeper down.
        depth = sum(m.path.count(".") + m.path.count("[") for m in found)
        scored.append((len(found), -depth, index, found))
    return min(scored)[3] if scored else []


@dataclass(frozen=True)
class Contains(Matcher):
    """The default for lists: each item matches a different element, in any order.

    On a string it means "contains this text"; given text, a list passes when one of its items
    is that text (``command: {$contains: date}`` for ``command: ["date"]``).
    """

    items: tuple[Matcher, ...]
    text: str | None = None

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if self.text is not None:
            if isinstance(actual, str) and self.text in actual:
                return []
            if isinstance(actual, list) and self.text in actual:
                return []
            return self._fail(actual, path)
        if not isinstance(actual, list):
            return self._fail(actual, path)
        assigned = _assign(self.items, actual)
        found: list[Mismatch] = []
        for item, slot in zip(self.items, assigned, strict=True):
            if slot is not None:
                continue
            if not actual:
                found.append(Mismatch(path, f"a list with an item like {item.describe()}", []))
                continue
            closest = _closest(item, actual, path)
            if not closest:
                # It matches an element that another expected item needs for itself.
                closest = [Mismatch(path, f"one more item like {item.describe()}", actual)]
            found.extend(closest)
        return found

    def describe(self) -> str:
        if self.text is not None:
            return f"text containing {show(self.text)}"
        return "a list with items like " + ", ".join(item.describe() for item in self.items)


@dataclass(frozen=True)
class Unordered(Matcher):
    """Exactly these items, in any order (no extra elements)."""

    items: tuple[Matcher, ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, list):
            return self._fail(actual, path)
        found = Contains(self.items).mismatches(actual, path)
        if len(actual) != len(self.items):
            found.append(Mismatch(path, f"exactly {len(self.items)} items", actual))
        return found

    def describe(self) -> str:
        return "exactly the items " + ", ".join(item.describe() for item in self.items)


@dataclass(frozen=True)
class Ordered(Matcher):
    """These items in this order, and no others (for lists whose order matters: ``args``)."""

    items: tuple[Matcher, ...]

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, list):
            return self._fail(actual, path)
        if len(actual) != len(self.items):
            return [Mismatch(path, f"{len(self.items)} items in order", actual)]
        found: list[Mismatch] = []
        for index, (item, element) in enumerate(zip(self.items, actual, strict=True)):
            found.extend(item.mismatches(element, element_path(path, element, index)))
        return found

    def describe(self) -> str:
        return "the items " + ", ".join(item.describe() for item in self.items) + " in order"


@dataclass(frozen=True)
class Each(Matcher):
    """Every element matches (an empty list does not count as a match: nothing was checked)."""

    inner: Matcher

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, list) or not actual:
            return self._fail(actual, path)
        return [
            m
            for index, element in enumerate(actual)
            for m in self.inner.mismatches(element, element_path(path, element, index))
        ]

    def describe(self) -> str:
        return f"a non-empty list where every item is {self.inner.describe()}"


@dataclass(frozen=True)
class NoItem(Matcher):
    """No element matches (an absent list has no such element either)."""

    inner: Matcher

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if actual is MISSING or actual is None:
            return []
        if not isinstance(actual, list):
            return self._fail(actual, path)
        return [
            Mismatch(element_path(path, element, index), self.describe(), element)
            for index, element in enumerate(actual)
            if self.inner.matches(element)
        ]

    def describe(self) -> str:
        return f"no item like {self.inner.describe()}"


@dataclass(frozen=True)
class Length(Matcher):
    inner: Matcher

    def mismatches(self, actual: Any, path: str) -> list[Mismatch]:
        if not isinstance(actual, list | dict | str):
            return self._fail(actual, path)
        if self.inner.matches(len(actual)):
            return []
        return [Mismatch(path, self.describe(), actual)]

    def describe(self) -> str:
        return f"a length of {self.inner.describe()}"


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if is_number(value):
        return str(value)
    return None


# --- building matchers from YAML values and from Python ---------------------------------------


def as_matcher(value: Any, key: str | None = None, parent: str | None = None) -> Matcher:
    """Turn an expected value (plain YAML, operators, matchers) into one matcher.

    ``key`` and ``parent`` are the field name and its parent's name: they decide whether a plain
    scalar compares as an image, a quantity or a plain value.
    """
    if isinstance(value, Matcher):
        return value
    if isinstance(value, dict):
        operators = [k for k in value if isinstance(k, str) and k.startswith("$")]
        if operators and len(operators) != len(value):
            raise SpecError(
                f"a map mixes operators and fields: {sorted(map(str, value))}; "
                "put operators in a map of their own"
            )
        if operators:
            parts = [_operator(name, arg, key, parent) for name, arg in value.items()]
            return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
        return MapMatcher(tuple((str(k), as_matcher(v, str(k), key)) for k, v in value.items()))
    if isinstance(value, list):
        return Contains(tuple(as_matcher(item, None, key) for item in value))
    if key == "image" and isinstance(value, str):
        return ImageEquals(value)
    if (parent in QUANTITY_PARENTS or key in QUANTITY_KEYS) and (
        isinstance(value, str) or is_number(value)
    ):
        return QuantityEquals(value)
    return Equals(value)


def _items(arg: Any, name: str, key: str | None) -> tuple[Matcher, ...]:
    if not isinstance(arg, list):
        raise SpecError(f"{name} takes a list, got {show(arg)}")
    return tuple(as_matcher(item, None, key) for item in arg)


def _text(arg: Any, name: str) -> str:
    if not isinstance(arg, str):
        raise SpecError(f"{name} takes a string, got {show(arg)}")
    return arg


def _image(arg: Any) -> Matcher:
    if isinstance(arg, str):
        return ImageEquals(arg)
    if isinstance(arg, dict) and set(arg) == {"repository"} and isinstance(arg["repository"], str):
        return ImageEquals(arg["repository"], any_tag=True)
    raise SpecError(f"$image takes a reference or {{repository: NAME}}, got {show(arg)}")


def _operator(name: str, arg: Any, key: str | None, parent: str | None) -> Matcher:
    match name:
        case "$eq":
            return as_matcher(arg, key, parent)
        case "$ne":
            return NotEqual(arg)
        case "$gt" | "$gte" | "$lt" | "$lte":
            return Compare(name[1:], arg)
        case "$in":
            if not isinstance(arg, list):
                raise SpecError(f"$in takes a list, got {show(arg)}")
            return OneOf(tuple(arg))
        case "$regex":
            return Regex(_text(arg, name))
        case "$wildcard":
            return Wildcard(_text(arg, name))
        case "$exists":
            if not isinstance(arg, bool):
                raise SpecError(f"$exists takes true or false, got {show(arg)}")
            return Exists(arg)
        case "$quantity":
            return QuantityEquals(arg)
        case "$image":
            return _image(arg)
        case "$contains":
            if isinstance(arg, str):
                return Contains((), text=arg)
            return Contains(_items(arg if isinstance(arg, list) else [arg], name, key))
        case "$unordered":
            return Unordered(_items(arg, name, key))
        case "$ordered":
            return Ordered(_items(arg, name, key))
        case "$each":
            return Each(as_matcher(arg, None, key))
        case "$none":
            return NoItem(as_matcher(arg, None, key))
        case "$length":
            return Length(as_matcher(arg))
        case "$not":
            return Not(as_matcher(arg, key, parent))
        case "$any_of":
            return AnyOf(_items(arg, name, key))
        case "$all_of":
            return AllOf(_items(arg, name, key))
        case "$base64":
            return Base64Decoded(as_matcher(arg, key, parent))
    raise SpecError(f"unknown operator {name}; see the check format for the operators there are")


def match(expected: Any, actual: Any, path: str = "") -> list[Mismatch]:
    """Every mismatch between an expected value and an actual object (empty: it matches)."""
    return as_matcher(expected).mismatches(actual, path)


# Python spellings of the YAML operators, for checks written in code.


def regex(pattern: str) -> Matcher:
    return Regex(pattern)


def wildcard(pattern: str) -> Matcher:
    return Wildcard(pattern)


def quantity(value: str | int | float) -> Matcher:
    return QuantityEquals(value)


def image(reference: str, any_tag: bool = False) -> Matcher:
    return ImageEquals(reference, any_tag)


def gt(value: Any) -> Matcher:
    return Compare("gt", value)


def gte(value: Any) -> Matcher:
    return Compare("gte", value)


def lt(value: Any) -> Matcher:
    return Compare("lt", value)


def lte(value: Any) -> Matcher:
    return Compare("lte", value)


def ne(value: Any) -> Matcher:
    return NotEqual(value)


def one_of(*values: Any) -> Matcher:
    return OneOf(values)


def exists(wanted: bool = True) -> Matcher:
    return Exists(wanted)


def contains(*items: Any) -> Matcher:
    """Text containing a string, or a list containing these items in any order."""
    if len(items) == 1 and isinstance(items[0], str):
        return Contains((), text=items[0])
    return Contains(tuple(as_matcher(item) for item in items))


def unordered(*items: Any) -> Matcher:
    return Unordered(tuple(as_matcher(item) for item in items))


def ordered(*items: Any) -> Matcher:
    return Ordered(tuple(as_matcher(item) for item in items))


def each(expected: Any) -> Matcher:
    return Each(as_matcher(expected))


def no_item(expected: Any) -> Matcher:
    return NoItem(as_matcher(expected))


def length(expected: Any) -> Matcher:
    return Length(as_matcher(expected))


def not_(expected: Any) -> Matcher:
    return Not(as_matcher(expected))


def any_of(*options: Any) -> Matcher:
    return AnyOf(tuple(as_matcher(option) for option in options))


def all_of(*parts: Any) -> Matcher:
    return AllOf(tuple(as_matcher(part) for part in parts))


def base64_of(expected: Any) -> Matcher:
    return Base64Decoded(as_matcher(expected))


def predicate(function: Callable[[Any], bool], description: str) -> Matcher:
    return Predicate(function, description)
