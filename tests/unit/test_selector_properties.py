"""Properties of label and field selector parsing, against a model of apimachinery's grammar.

Any selector written the way kubectl users write them must parse to one that selects exactly the
label sets the model selects; any other text must give 400 BadRequest and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.selectors import (
    parse_field_selector,
    parse_label_selector,
    selector_from_object,
)

PROPERTIES = settings(max_examples=200, deadline=None)

KEYS = st.sampled_from(["app", "tier", "example.com/role", "a.b-c_d"])
VALUES = st.sampled_from(["", "web", "db", "v1.2", "a_b", "1", "2", "10", "-3"])
NUMBERS = st.integers(0, 20)
LABELS = st.dictionaries(KEYS, VALUES, max_size=4)
SPACE = st.sampled_from(["", " ", "  "])


@dataclass(frozen=True)
class Clause:
    """One requirement of the model: its key, operator and values, and how it is spelled."""

    key: str
    operator: str  # "=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...]
    space: str

    def text(self) -> str:
        s = self.space
        if self.operator == "exists":
            return self.key
        if self.operator == "!":
            return f"!{s}{self.key}"
        if self.operator in ("in", "notin"):
            return f"{self.key} {self.operator}{s}({s}{','.join(self.values)}{s})"
        if self.operator in ("gt", "lt"):
            return f"{self.key} {self.operator} {self.values[0]}"
        return f"{self.key}{s}{self.operator}{s}{self.values[0]}"

    def selects(self, labels: dict[str, str]) -> bool:
        present, value = self.key in labels, labels.get(self.key)
        if self.operator in ("=", "=="):
            return present and value == self.values[0]
        if self.operator == "!=":
            return not present or value != self.values[0]
        if self.operator == "in":
            return present and value in self.values
        if self.operator == "notin":
            return not present or value not in self.values
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        try:
            number = int(value or "")
        except ValueError:
            return False
        limit = int(self.values[0])
        return number > limit if self.operator == "gt" else number < limit


def clauses() -> st.SearchStrategy[Clause]:
    single = st.tuples(KEYS, st.sampled_from(["=", "==", "!="]), VALUES.map(lambda v: (v,)))
    # "()" and empty members between commas stand for the empty value, as upstream parses them.
    sets = st.tuples(KEYS, st.sampled_from(["in", "notin"]), st.lists(VALUES, max_size=3))
    unary = st.tuples(KEYS, st.sampled_from(["exists", "!"]), st.just(()))
    ordered = st.tuples(KEYS, st.sampled_from(["gt", "lt"]), NUMBERS.map(lambda n: (str(n),)))
    return st.tuples(single | sets | unary | ordered, SPACE).map(
        lambda case: Clause(case[0][0], case[0][1], tuple(case[0][2]), case[1])
    )


def in_values(clause: Clause) -> tuple[str, ...]:
    """The set a written ``in``/``notin`` clause stands for (``()`` is the empty value)."""
    return clause.values or ("",)


def model_selects(selector: list[Clause], labels: dict[str, str]) -> bool:
    def effective(clause: Clause) -> Clause:
        if clause.operator in ("in", "notin"):
            return Clause(clause.key, clause.operator, in_values(clause), clause.space)
        return clause

    return all(effective(clause).selects(labels) for clause in selector)


@PROPERTIES
@given(st.lists(clauses(), max_size=4), st.lists(LABELS, min_size=1, max_size=6), SPACE)
def test_written_selectors_select_what_the_grammar_says(
    selector: list[Clause], label_sets: list[dict[str, str]], comma_space: str
) -> None:
    text = f"{comma_space},{comma_space}".join(clause.text() for clause in selector)
    parsed = parse_label_selector(text)
    for labels in label_sets:
        assert parsed.matches(labels) == model_selects(selector, labels), (text, labels)


@PROPERTIES
@given(st.text(alphabet="ab=!(),. -/_in1", max_size=20))
def test_any_text_is_a_selector_or_a_400(text: str) -> None:
    try:
        parse_label_selector(text)
    except APIError as error:
        assert (error.code, error.reason) == (400, "BadRequest")
        assert error.message.startswith(("unable to parse requirement: ", "invalid selector"))


OPERATORS = {"in": "In", "notin": "NotIn", "exists": "Exists", "!": "DoesNotExist"}


@PROPERTIES
@given(
    st.dictionaries(KEYS, VALUES, max_size=3),
    st.lists(
        clauses().filter(
            lambda c: c.operator in OPERATORS and (c.values or c.operator in ("exists", "!"))
        ),
        max_size=3,
    ),
    st.lists(LABELS, min_size=1, max_size=6),
)
def test_label_selector_objects_select_like_their_text(
    match_labels: dict[str, str], expressions: list[Clause], label_sets: list[dict[str, str]]
) -> None:
    selector = selector_from_object(
        {
            "matchLabels": match_labels,
            "matchExpressions": [
                {"key": c.key, "operator": OPERATORS[c.operator], "values": list(c.values)}
                for c in expressions
            ],
        }
    )
    model = [Clause(k, "=", (v,), "") for k, v in match_labels.items()] + expressions
    for labels in label_sets:
        assert selector.matches(labels) == model_selects(model, labels)


FIELD_VALUES = st.text(alphabet="ab,=\\!. ", max_size=6)


def escape_field_value(value: str) -> str:
    """fields.EscapeValue: backslash, comma and equals sign get a backslash."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


@PROPERTIES
@given(
    st.dictionaries(
        st.sampled_from(["metadata.name", "spec.nodeName", "status.phase"]),
        FIELD_VALUES,
        min_size=1,
    ),
    st.sampled_from(["=", "==", "!="]),
)
def test_escaped_field_values_come_back_whole(values: dict[str, str], operator: str) -> None:
    text = ",".join(f"{field}{operator}{escape_field_value(v)}" for field, v in values.items())
    selector = parse_field_selector(text)
    assert {r.field: r.value for r in selector.requirements} == values
    assert selector.matches(values) == (operator != "!=")
