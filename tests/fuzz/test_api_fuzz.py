"""The whole API under a property-based fuzzer: every operation of `/api/v1/openapi.json`,
as an officer and as a commander, every schemathesis check.

The schema is the one the app serves, fetched through the app itself, and the test is
parametrised over its operations: a new endpoint is fuzzed without touching this file.
Each item (operation × role) runs the examples, coverage and fuzzing phases with positive and
negative data on a fresh demo-like world (`world.py`); runs are seeded, so CI is reproducible.

Run just this: `make pytest PYTEST_ARGS='tests/fuzz'` (the summary block prints at the end).
`SMARTDUTY_FUZZ_EXAMPLES`, `SMARTDUTY_FUZZ_SEED` and `SMARTDUTY_FUZZ_CHECKS` (comma-separated
check names) widen, vary or narrow a run by hand.
"""

from __future__ import annotations

import os
from typing import Any

import jsonschema_rs
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.transport.serialization import Binary

from tests.fuzz.conftest import APP, Fuzzer
from tests.fuzz.world import ACTIVE, KIND_BY_FIELD, KIND_BY_SEGMENT

EXAMPLES = int(os.environ.get("SMARTDUTY_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("SMARTDUTY_FUZZ_SEED", "20261118"))


def _checks(names: str) -> dict[str, Any]:
    if not names.strip():
        return {"enabled": True}
    return {"enabled": False, **{n.strip(): {"enabled": True} for n in names.split(",") if n}}


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "warnings": False,
        "generation": {
            # valid requests (must be answered 2xx/4xx per their schema) and invalid ones
            # (must be refused with a 4xx): negative_data_rejection needs the latter
            "mode": "all",
            "max-examples": EXAMPLES,
            # no example database: what ran is a function of the seed alone
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            # stateful tests need OpenAPI links, which the schema does not declare; the
            # world's existing ids (below) take the fuzzer past the 404s instead
            "stateful": {"enabled": False},
        },
        # every built-in check, with the default expectations; SMARTDUTY_FUZZ_CHECKS narrows a
        # run by hand (e.g. `not_a_server_error` to hunt 5xx past schema findings)
        "checks": _checks(os.environ.get("SMARTDUTY_FUZZ_CHECKS", "")),
    }
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)


def _kind_of_path(path: str) -> str | None:
    parts = [part for part in path.split("/") if part]
    if "v1" in parts:
        parts = parts[parts.index("v1") + 1 :]
    return KIND_BY_SEGMENT.get(parts[0]) if parts else None


@schema.hook("map_path_parameters")
def _existing_path_ids(context: schemathesis.HookContext, path_parameters: Any) -> Any:
    """`/reports/{public_id}` mostly names a report that exists (see `World.pick`)."""
    world = ACTIVE[0]
    kind = _kind_of_path(context.operation.path) if context.operation else None
    if world is None or kind is None or not isinstance(path_parameters, dict):
        return path_parameters
    if "public_id" in path_parameters:
        path_parameters["public_id"] = world.pick(kind, path_parameters["public_id"])
    return path_parameters


def _existing_field_ids(values: Any) -> Any:
    world = ACTIVE[0]
    if world is None or not isinstance(values, dict):
        return values
    for name, kind in KIND_BY_FIELD.items():
        if name in values:
            values[name] = world.pick(kind, values[name])
    return values


# Integers far outside what the app stores (past 64 bits, too): Hypothesis seldom draws them
_EXTREME_INTEGERS = (2**63, 10**30, -(2**63) - 1)


def _extreme_integers(case: schemathesis.Case, query: Any) -> Any:
    """Swap some integer query values for extreme ones, where the schema sets no bound.

    A parameter declared without `maximum` (or `minimum`) promises to take any integer, so
    `?offset=9223372036854775808` must be answered like any other page, never with a 500.
    The choice is a function of the drawn value (reproducible, shrinkable), one in five.
    """
    if not isinstance(query, dict):
        return query
    raw = case.operation.schema.raw_schema
    operation = raw["paths"][case.operation.path][case.operation.method.lower()]
    declared = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])}
    for name, value in query.items():
        spec = declared.get(name)
        if spec is None or isinstance(value, bool) or not isinstance(value, int) or value % 5:
            continue
        variants = [s for s in [spec, *spec.get("anyOf", [])] if s.get("type") == "integer"]
        if not variants:
            continue
        choice = _EXTREME_INTEGERS[(value // 5) % len(_EXTREME_INTEGERS)]
        bound = "maximum" if choice > 0 else "minimum"
        if all(bound not in v for v in variants):
            query[name] = choice
    return query


@schema.hook("map_query")
def _existing_query_ids(context: schemathesis.HookContext, query: Any) -> Any:
    """`?district_id=`, `?report_id=`... mostly name records that exist."""
    return _existing_field_ids(query)


@schema.hook("map_body")
def _existing_body_ids(context: schemathesis.HookContext, body: Any) -> Any:
    """`district_id` in upload forms mostly names a district that exists."""
    return _existing_field_ids(body)


@schema.hook("map_case")
def _valid_case_adjustments(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """Valid requests only: extreme integers where unbounded (`_extreme_integers`), and no
    null in forms: a nullable multipart field that is null is left out of the form.

    Schemathesis would send the text `null`, which no browser or app sends; the officer app
    (and any form client) omits a field without a value, which is what null means here.
    """
    # only valid requests: in a negative one a null may be the mutation itself
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.media_type == "multipart/form-data" and isinstance(case.body, dict):
        case.body = {name: value for name, value in case.body.items() if value is not None}
    if positive and case.query:
        case.query = _extreme_integers(case, case.query)
    return case


def _is_request_parsing_error(response: Any) -> bool:
    """A 422 from ninja's request parsing (pydantic `details` with `loc`), not from a service."""
    try:
        body = response.json()
    except ValueError:
        return False
    details = body.get("details") if isinstance(body, dict) else None
    return isinstance(details, list) and any(isinstance(d, dict) and "loc" in d for d in details)


@schema.hook("filter_failure")
def _domain_rules_beyond_the_schema(
    context: schemathesis.HookContext,
    failure: Any,
    case: schemathesis.Case,
    response: Any,
) -> bool:
    """`positive_data_acceptance` with the domain's own 422s taken as correct answers.

    The OpenAPI document describes the shape of a request; the services enforce rules that
    JSON Schema cannot express, and answer them with 422 and a Chinese message: bytes that do
    not decode as an image (`format: binary` is any bytes), a plate that is not valid under
    GA 36-2018, text with control characters, a reveal reason shorter than four characters,
    an action the report's state machine does not offer here. Those refusals carry no
    pydantic `details`. A 422 *with* them means the request parser refused what the schema
    promised to accept; that stays a failure, as does every other positive-data rejection.
    """
    if isinstance(failure, RejectedPositiveData) and response.status_code == 422:
        return _is_request_parsing_error(response)
    if isinstance(failure, AcceptedNegativeData):
        return not _negative_form_is_valid(case)
    return True


def _negative_form_is_valid(case: schemathesis.Case) -> bool:
    """Whether a multipart body that schemathesis labelled invalid is valid after all.

    Schemathesis cannot tell whether a body holding a file (`Binary`) breaks its schema, so
    it keeps every such draw as negative (schemathesis/specs/openapi/negative/__init__.py:
    `contains_binary(value) or not validator.is_valid(value)`): a form with only extra
    fields, which the schema allows, comes out "invalid". Checked here with the file parts
    replaced by empty strings; only body-only negatives are judged, anything else stays.
    """
    meta = case.meta
    if meta is None or case.media_type != "multipart/form-data" or not isinstance(case.body, dict):
        return False
    negative = {loc for loc, info in meta.components.items() if not info.mode.is_positive}
    if negative != {ParameterLocation.BODY}:
        return False
    raw = case.operation.schema.raw_schema
    operation = raw["paths"][case.operation.path][case.operation.method.lower()]
    form_schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    document = {**form_schema, "components": raw.get("components", {})}
    body = {k: "" if isinstance(v, Binary) else v for k, v in case.body.items()}
    return bool(jsonschema_rs.validator_for(document).is_valid(body))


@schema.parametrize()
@settings(
    deadline=None,
    # the world is a function-scoped fixture on purpose: one per item, shared by its examples
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_operation(case: schemathesis.Case, fuzzer: Fuzzer) -> None:
    """Every check passes for every generated request: no 5xx, answers match the schema."""
    fuzzer.check(case)
