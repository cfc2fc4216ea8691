"""Reading Dockerfiles the way Docker's frontend does, and refusing what the builder cannot do."""

from __future__ import annotations

import pytest

from kubelab.images.dockerfile import BuildError, expand, key_values, parse


def test_continuations_comments_and_forms() -> None:
    instructions = parse(
        "# syntax comment\n"
        "ARG BASE=alpine:3.20\n"
        "from $BASE\n"
        "RUN echo one \\\n"
        "    # a comment inside a continuation is dropped\n"
        "    two\n"
        'CMD ["python", "app.py"]\n'
        "ENTRYPOINT exec server --port 80\n"
        "COPY --chown=1000:1000 a b /dst/\n"
    )
    assert [i.keyword for i in instructions] == ["ARG", "FROM", "RUN", "CMD", "ENTRYPOINT", "COPY"]
    run, cmd, entrypoint, copy = instructions[2:]
    assert (run.arguments, run.line) == ("echo one two", 4)
    assert cmd.exec_form() == ["python", "app.py"]
    assert entrypoint.exec_form() is None
    assert copy.flags == ("--chown=1000:1000",) and copy.arguments == "a b /dst/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$A-${A}", "1-1"),
        ("${MISSING:-fallback}", "fallback"),
        ("${A:-fallback}", "1"),
        ("${A:+set}${MISSING:+set}", "set"),
        (r"\$A", "$A"),
        ("$MISSING.", "."),
    ],
)
def test_variables_expand_like_docker(text: str, expected: str) -> None:
    assert expand(text, {"A": "1"}) == expected


def test_env_and_label_pairs() -> None:
    assert key_values('A=1 B="two words" C=', "Dockerfile:1") == [
        ("A", "1"),
        ("B", "two words"),
        ("C", ""),
    ]
    assert key_values("NAME a value with spaces", "Dockerfile:1") == [
        ("NAME", "a value with spaces")
    ]
    with pytest.raises(BuildError, match="NAME=VALUE"):
        key_values("A=1 broken", "Dockerfile:3")


@pytest.mark.parametrize(
    ("dockerfile", "message"),
    [
        ("RUN true\n", "Dockerfile:1: the first instruction must be FROM"),
        ("", "no FROM instruction"),
        ("FROM alpine\nFETCH x\n", "Dockerfile:2: unknown instruction: FETCH"),
        ("FROM alpine\nHEALTHCHECK CMD true\n", "HEALTHCHECK is not supported"),
        ("FROM alpine AS a\nFROM alpine\n", "multi-stage builds"),
        ("FROM alpine\nCOPY --from=build /a /b\n", "COPY --from=build needs a multi-stage"),
        ("FROM alpine\nWORKDIR\n", "WORKDIR requires at least one argument"),
    ],
)
def test_what_the_builder_refuses_says_why(dockerfile: str, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        parse(dockerfile)
