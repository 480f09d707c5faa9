"""Interrupts at run time: answers, questions and pauses (issue 18), for both runners.

One core decides: the drivers execute an ``InterruptNode`` through ``ask`` (where they would
call a body) and a GraphNode's nested results through ``nested_pauses``; both return either
the node's outputs or a ``Paused`` outputs dict. ``Execution.commit`` keeps a ``Paused``
node's outputs out of the state and records its ``PauseInfo``s; the run then stops after
that superstep and its result is PAUSED. So every interrupt ready in a superstep pauses
together and the other ready nodes of that superstep still run, under both runners. No
exception unwinds anything.

Graphs that can pause (an interrupt at any depth) never use the fixed schedule or
AsyncRunner's dataflow mode: they always run in supersteps, which is what gives "ready in
the same superstep" its meaning there too.

Answers. A key of ``values`` naming an interrupt's answer (its ``response_key``) is held
by the run rather than written to the state, and handed to the interrupt the first time it
executes: the question is then skipped. In a cycle an answer is consumed once, so coming
back around asks again. An answer for an interrupt inside an unmapped GraphNode goes by the
GraphNode's (possibly renamed) output name and is handed to its next nested run, once.
Inside a mapped GraphNode the dotted address (``"batch.approved"``) reaches every item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from hypergraph_graph import Graph, GraphNode
from hypergraph_graph._internal import decide
from hypergraph_types import GraphConfigError, InvalidInputError, PauseInfo, RunResult, RunStatus
from hypergraph_types._internal import Suggester, fmt_names, message, quote, short_repr

from ._leaf import NodeFailure, guarded

if TYPE_CHECKING:
    from ._core import Execution
    from ._plan import NodePlan, Plan

__all__ = [
    "NO_ANSWERS",
    "Paused",
    "answer_keys",
    "ask",
    "check_answer",
    "check_given",
    "check_nested_options",
    "is_answer",
    "item_answers",
    "nested_pauses",
    "outer_response_key",
    "take_answers",
    "take_routed",
    "with_answers",
]

#: ``Execution.answers`` of a run without answers. Never written.
NO_ANSWERS: dict[str, Any] = {}


class Paused(dict[str, Any]):
    """The outputs of a node that paused: none; ``pauses`` says why (node order).

    Drivers pass it on like outputs; ``Execution.commit`` records the pauses instead of
    applying anything, and event delivery sends ``InterruptEvent`` for it.
    """

    __slots__ = ("pauses",)

    def __init__(self, pauses: tuple[PauseInfo, ...]) -> None:
        super().__init__()
        self.pauses = pauses


# -- the plan: where answers go ------------------------------------------------------------


def answer_keys(plan: Plan) -> dict[str, tuple[str | None, str]]:
    """Per answer key a caller may give this graph: ``(None, answer)`` for an interrupt of
    this graph, ``(graph node, inner key)`` for one inside an unmapped GraphNode (its output
    name there, renames applied)."""
    keys: dict[str, tuple[str | None, str]] = {}
    for p in plan.nodes:
        if p.interrupt is not None:
            keys[p.outputs[0]] = (None, p.outputs[0])
        elif p.graph_node is not None and not p.mapped:
            inner = answer_keys_of(p.graph_node)
            for inner_name, current in p.inner_out:
                if inner_name in inner:
                    keys[current] = (p.name, inner_name)
    return keys


def answer_keys_of(gn: GraphNode) -> dict[str, tuple[str | None, str]]:
    from ._plan import plan_of

    return plan_of(gn.graph).answer_keys


def pausable(plan: Plan) -> bool:
    """The graph has an interrupt at some depth (then it always runs in supersteps)."""
    from ._plan import plan_of

    return any(p.interrupt is not None for p in plan.nodes) or any(
        plan_of(gn.graph).pausable for gn in plan.graph_nodes
    )


# -- a run's answers -----------------------------------------------------------------------


def take_answers(
    plan: Plan, values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Remove the answers from a run's ``values``: own ones, and those routed to GraphNodes."""
    answers: dict[str, Any] = {}
    routed: dict[str, dict[str, Any]] = {}
    for key, (owner, inner) in plan.answer_keys.items():
        if key in values:
            value = values.pop(key)
            if owner is None:
                answers[key] = value
            else:
                routed.setdefault(owner, {})[inner] = value
    return answers, routed


def check_given(plan: Plan, values: Mapping[str, Any], skip: Sequence[str] = ()) -> None:
    """Raise ``InvalidInputError`` for an answer in ``values`` not of its ``answer_type``.

    Called before any node runs, with the caller's values (addresses included), so a wrong
    answer is refused like any invalid input; names in ``skip`` (mapped, one answer per
    item) are checked at the interrupt itself.
    """
    keys = [k for k in plan.answer_keys if k in values and k not in skip]
    keys += [k for k in values if "." in k or "/" in k]  # addresses: some may be answers
    for key in keys:
        target = _answer_at(plan, key)
        if target is not None:
            p, path = target
            error = check_answer(p, path + p.name, values[key])
            if error is not None:
                raise error


def is_answer(plan: Plan, key: str) -> bool:
    """``key`` of a run's values answers an interrupt (a response key or an address)."""
    if key in plan.answer_keys:
        return True
    return ("." in key or "/" in key) and plan.pausable and _answer_at(plan, key) is not None


def _answer_at(plan: Plan, key: str) -> tuple[NodePlan, str] | None:
    """The interrupt that a value under ``key`` answers and the dotted path to its graph.

    ``key`` is a response key of this graph (a nested interrupt's renamed answer too) or an
    address into a nested graph (``"batch.approved"``, ``"m/inner/approved"``); ``None`` when
    it answers no interrupt.
    """
    from ._plan import plan_of

    path = ""
    *heads, name = key.replace("/", ".").split(".")
    for head in heads:  # an address: walk down to the graph it names
        p = plan.by_name.get(head)
        if p is None or p.graph_node is None:
            return None
        plan, path = plan_of(p.graph_node.graph), f"{path}{head}."
    entry = plan.answer_keys.get(name)
    if entry is None:
        return None
    owner, name = entry
    while owner is not None:  # follow a renamed answer into the GraphNode(s) it is for
        gn = plan.by_name[owner].graph_node
        assert gn is not None
        plan, path = plan_of(gn.graph), f"{path}{owner}."
        owner, name = plan.answer_keys[name]
    return _interrupt_of(plan, name), path


def _response_keys(plan: Plan) -> list[str]:
    """Every ``response_key`` a pause of this graph can carry (as ``nested_pauses`` names it)."""
    from ._plan import plan_of

    keys = list(plan.answer_keys)
    for p in plan.nodes:
        if p.graph_node is not None:
            inner = _response_keys(plan_of(p.graph_node.graph))
            # The dotted ones: an unmapped GraphNode's plain keys are in ``answer_keys``.
            keys += [key for k in inner if "." in (key := _projected(p, k))]
    return keys


def _interrupt_of(plan: Plan, answer: str) -> NodePlan:
    return plan.nodes[plan.producers[answer][0]]


def with_answers(
    items: Iterator[dict[str, Any]], answers: Mapping[int, Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """A map's items, each with the answers given for it (``item_answers``)."""
    for i, item in enumerate(items):
        given = answers.get(i)
        yield {**item, **given} if given else item


def take_routed(ex: Execution, p: NodePlan, inner: dict[str, Any]) -> None:
    """Add the answers routed to GraphNode ``p`` to its nested values, once (then consumed)."""
    routed = ex.routed.pop(p.name, None)
    if routed:
        inner.update(routed)


def item_answers(
    graph: Graph, answers: Mapping[Any, Mapping[str, Any]], count: int
) -> dict[int, Mapping[str, Any]]:
    """Validate ``map(..., answers={i: {response_key: answer}})`` before any item runs."""
    from ._plan import plan_of

    plan = plan_of(graph)
    if not isinstance(answers, Mapping):
        raise TypeError(
            message(
                f"answers must be a dict item index -> {{response_key: answer}}, got "
                f"{type(answers).__name__}",
                [],
                "pass e.g. answers={0: {'approved': True}}",
            )
        )
    keys = _response_keys(plan)
    pool = Suggester(keys)
    checked: dict[int, Mapping[str, Any]] = {}
    for index, given in answers.items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise InvalidInputError(
                message(
                    f"answers: {short_repr(index)} is not an item index",
                    [f"this map has {count} items: indices 0 to {count - 1}"],
                    "key answers by the index of the paused item (MapResult.paused)",
                )
            )
        if not isinstance(given, Mapping):
            raise TypeError(
                message(
                    f"answers[{index}] must be a dict response_key -> answer, got "
                    f"{type(given).__name__}",
                    [],
                    "pass e.g. answers={0: {'approved': True}}",
                )
            )
        unknown = [k for k in given if _answer_at(plan, k) is None]
        if unknown:
            raise InvalidInputError(
                message(
                    f"answers[{index}]: {fmt_names(unknown)} is not the response_key of an "
                    "interrupt",
                    [pool.did_you_mean(unknown[0]), f"response keys: {fmt_names(keys)}"],
                    "use PauseInfo.response_key from the paused item's result",
                )
            )
        check_given(plan, given)
        checked[index] = {key.replace("/", "."): value for key, value in given.items()}
    return checked


# -- executing an interrupt ----------------------------------------------------------------


def ask(ex: Execution, p: NodePlan, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Execute interrupt ``p``: its answer if the run holds one (consumed), else pause.

    Failures (a wrong answer type, a ``None`` question, an option no gate accepts, the
    function raising) are ``NodeFailure``s, as for any node body.
    """
    name = p.outputs[0]
    answers = ex.answers
    if name in answers:
        answer = answers.pop(name)
        error = check_answer(p, ex.scope.prefix + p.name, answer)
        if error is not None:
            raise NodeFailure(error)
        return {name: answer}
    question = guarded(p, p.call, kwargs)
    problem = _not_a_question(ex.scope.prefix + p.name, question)
    if problem is not None:
        raise NodeFailure(TypeError(problem))
    problem = _options_problem(ex, name, ex.scope.prefix + p.name, question)
    if problem is not None:
        raise NodeFailure(GraphConfigError(problem))
    return Paused((PauseInfo(p.name, question, name),))


_QUESTION_FIELDS = ("prompt", "options", "evidence")


def _not_a_question(path: str, question: Any) -> str | None:
    """Why what an interrupt's function returned is not a question, or ``None``."""
    if question is None:
        what = "returned None instead of a question"
    else:
        missing = [field for field in _QUESTION_FIELDS if not hasattr(question, field)]
        if not missing:
            return None
        what = (
            f"returned {type(question).__name__} {short_repr(question, 60)}, not a question "
            f"(it has no {fmt_names(missing)})"
        )
    return message(
        f"Interrupt {quote(path)} {what}",
        ["an interrupt's function returns the question to ask: an object with prompt, "
         "options and evidence"],
        "return the question class it is annotated with; to skip asking, give the answer "
        "in values",
    )  # fmt: skip


def check_answer(p: NodePlan, path: str, answer: Any) -> InvalidInputError | None:
    """An ``InvalidInputError`` if ``answer`` is not of the interrupt's ``answer_type``."""
    expected = p.interrupt.answer_type
    if _matches(answer, expected):
        return None
    label = expected.__qualname__ if isinstance(expected, type) else short_repr(expected)
    return InvalidInputError(
        message(
            f"The answer to interrupt {quote(path)} ({quote(p.outputs[0])}) is "
            f"{type(answer).__name__} {short_repr(answer, 60)}, not {label}",
            [f"expected answer_type: {label}"],
            f"answer with a {label} value",
        )
    )


#: PEP 484's numeric tower: the types a value of these may also be.
_NUMERIC: dict[type, tuple[type, ...]] = {float: (int,), complex: (int, float)}


def _matches(value: Any, expected: Any) -> bool:
    if expected is Any or expected is object:
        return True
    if isinstance(expected, type) and not getattr(expected, "__parameters__", None):
        try:
            if isinstance(value, expected):
                return True
        except TypeError:
            pass
        else:  # an int answers a float (a JSON number), as for type checkers; a bool does not
            wider = _NUMERIC.get(expected)
            return wider is not None and isinstance(value, wider) and not isinstance(value, bool)
    try:  # Literal, unions, generics: msgspec checks them without converting (strict)
        msgspec.convert(value, expected, strict=True, from_attributes=True)
    except msgspec.ValidationError:
        return False
    except TypeError:  # a type msgspec cannot check: accept what it cannot judge
        return True
    return True


def _options_problem(ex: Execution, name: str, path: str, question: Any) -> str | None:
    """An option of ``question`` that a gate reading the answer ``name`` (the interrupt at
    ``path``'s, as this graph names it) would reject, if any: a gate of this run, or one in
    a GraphNode the answer feeds.

    Each option is tried on the gate as if it were the answer, with the gate's other inputs
    as they are now; a gate whose other inputs are not available yet is not checked.
    """
    options = getattr(question, "options", None)
    if not options:
        return None

    given = _reader({**ex.bound, **ex.values})  # a GraphNode's ports, those given so far

    def now(q: NodePlan) -> dict[str, Any]:
        return ex.inputs_of(q)[0] if q.gate is not None else given(q)

    for gate, kwargs, answer, label in _gates_reading(ex.plan, name, now, ""):
        if any(n not in kwargs and n != answer and n not in gate.defaulted for n in gate.inputs):
            continue
        assert gate.gate is not None
        for option in options:
            kwargs[answer] = option
            try:
                decide(gate.gate, gate.call(kwargs))
            except Exception as exc:
                return message(
                    f"Interrupt {quote(path)} offers option "
                    f"{short_repr(option)}, which gate {quote(label)} does not accept",
                    [
                        f"options: {short_repr(tuple(options))}",
                        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    ],
                    f"offer only options that {label!r} routes, or add the missing target",
                )
    return None


def _gates_reading(
    plan: Plan, name: str, now: Callable[[NodePlan], dict[str, Any]], prefix: str
) -> Iterator[tuple[NodePlan, dict[str, Any], str, str]]:
    """The gates that read value ``name`` directly, in ``plan`` or inside the unmapped
    GraphNodes it feeds (at any depth): each with its inputs ``now``, the value's name
    there and the gate's path."""
    from ._plan import plan_of

    for c in plan.consumers.get(name, ()):
        q = plan.nodes[c]
        if q.gate is not None:
            yield q, now(q), name, prefix + q.name
        elif q.graph_node is not None and not q.mapped:
            graph = q.graph_node.graph
            ports = q.inner_in
            inner = {**graph.inputs.bound, **{ports.get(k, k): v for k, v in now(q).items()}}
            yield from _gates_reading(
                plan_of(graph), ports.get(name, name), _reader(inner), f"{prefix}{q.name}."
            )


def _reader(values: Mapping[str, Any]) -> Callable[[NodePlan], dict[str, Any]]:
    """A node's inputs among ``values`` (those not there are left out)."""
    return lambda q: {k: values[k] for k in q.inputs if k in values}


# -- a GraphNode whose nested run(s) paused ------------------------------------------------


def nested_pauses(p: NodePlan, results: Sequence[RunResult | None]) -> Paused | None:
    """The GraphNode's pauses, projected to this level, if some nested run paused.

    Node paths gain the GraphNode's name (``[i]`` for a mapped item); a response key is
    renamed to the GraphNode's output name, or dotted (``"batch.approved"``) when mapped.
    """
    pauses: list[PauseInfo] = []
    for i, r in enumerate(results):
        if r is None or r.status is not RunStatus.PAUSED:
            continue
        segment = f"{p.name}[{i}]" if p.mapped else p.name
        for pause in r.pauses:
            key = _projected(p, pause.response_key)
            pauses.append(PauseInfo(f"{segment}/{pause.node_name}", pause.value, key))
    return Paused(tuple(pauses)) if pauses else None


def check_nested_options(ex: Execution, paused: Paused) -> None:
    """Fail the GraphNode whose nested interrupt offers an option that a gate of this graph,
    reading the answer by its (renamed) name, would reject: as ``ask`` does for a gate
    beside the interrupt, so the paused result never carries that question (an
    ``InterruptEvent`` for it was sent already)."""
    for pause in paused.pauses:
        if "." in pause.response_key:  # a mapped GraphNode's: no gate here reads it by name
            continue
        path = ex.scope.prefix + pause.node_name.replace("/", ".")
        problem = _options_problem(ex, pause.response_key, path, pause.value)
        if problem is not None:
            raise NodeFailure(GraphConfigError(problem))


def _projected(p: NodePlan, key: str) -> str:
    """``key``, a response key inside GraphNode ``p``'s graph, as the graph around ``p``
    names it: ``p``'s output name, or dotted (``"batch.approved"``) when ``p`` is mapped."""
    if p.mapped or "." in key:
        return f"{p.name}.{key}"
    return dict(p.inner_out).get(key, key)


def outer_response_key(top: Plan, prefix: str, key: str) -> str:
    """``key``, a response key of the nested run at ``prefix`` (``"m.inner."``,
    ``"batch[0]."``), as the caller of the top-level run of ``top`` gives it: what
    ``nested_pauses`` makes of it on the way up, for an ``InterruptEvent``."""
    from ._plan import plan_of

    chain: list[NodePlan] = []
    for segment in prefix.split(".")[:-1]:
        p = top.by_name[segment.partition("[")[0]]
        assert p.graph_node is not None
        chain.append(p)
        top = plan_of(p.graph_node.graph)
    for p in reversed(chain):
        key = _projected(p, key)
    return key


def record_pauses(ex: Execution, done: Sequence[Any]) -> list[Any]:
    """``commit``'s part: keep paused nodes out of the state and remember why they paused."""
    kept = []
    for entry in done:
        outputs = entry[1]
        if type(outputs) is Paused:
            ex.pauses += outputs.pauses
        else:
            kept.append(entry)
    return kept
