"""The compiled plan: per-node tables the execution core reads on every run.

A plan depends only on a graph's node list, never on its bindings, so it is cached in the
graph's shared ``Structure`` and reused by every ``bind``/``unbind`` copy. Two threads racing
to compile build equal plans and either may win (RELIABILITY F13).
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from hypergraph_graph import FunctionNode, GateNode, Graph, GraphNode, HyperNode

from ._interrupt import answer_keys, pausable
from ._leaf import Caller, is_simple, make_caller
from ._ordering import fed_names, wire_plan

__all__ = ["NodePlan", "Plan", "plan_of", "sync_only"]


class NodePlan:
    """What the core needs to know about one node, precomputed.

    Attributes:
        index: Position in node order.
        name: The node's name.
        node: The node object.
        inputs: The node's input names.
        outputs: The node's output names.
        edge_fed: Inputs produced by some node of the graph: available only once written.
        free: Inputs not produced by any node: available when in the state, bound, or
            defaulted by this node.
        defaulted: The free inputs this node has a default for.
        cyclic: The node lies on a cycle; its supersteps count against ``max_iterations``.
        consumers: Indices of the nodes that take one of this node's outputs as input.
        chains: Some consumer is ``chainable`` (a ``def`` FunctionNode, no ``cache=True``): under
            AsyncRunner's dataflow, this node's thread may run it next (``_chain``). ``None``
            until ``chains`` first asks (only AsyncRunner does: plans stay cheap to build).
        leaf: The node is a FunctionNode (run by calling its body), not an interrupt.
        inline: A ``def`` FunctionNode declared ``inline=True``: AsyncRunner calls its body
            on the loop thread instead of a worker thread.
        cached: A FunctionNode with ``cache=True``: looked up when the call has a cache.
        key_part: For a cached node, the constant part of its cache keys (``cache._key``),
            made at its first lookup.
        func: For a FunctionNode, its function.
        simple: ``func(**inputs)`` is the node's call convention.
        caller: For a FunctionNode that is not ``simple``, the function applying its call
            convention to ``{current input name: value}``.
        graph_node: The node if it is a GraphNode, else ``None``.
        inner_in, inner_out: For a GraphNode, port name -> inner input name, and
            ``(inner output, port name)`` pairs.
        renamed_in: For a GraphNode, some port is named differently from its inner input.
        mapped: For a GraphNode, it has ``map_over``.
        runner: For a GraphNode, its runner override (NEST-03) or ``None``.
        inherits: For a GraphNode, per parent capabilities: can the parent run the inner graph.
        gate: The node if it is a gate (route / ifelse), else ``None``.
        targets: For a gate, the indices of the nodes it may choose.
        controllers: The indices of the gates that may choose this node: it runs only while
            one of them has decided for it.
        interrupt: The node if it is an InterruptNode, else ``None``.
        once: No cycle and no gate lies upstream of (or at) this node, so it runs at most once
            per run and its inputs never change: the core skips its version bookkeeping.
        direct: ``once``, and every input is edge-fed: its inputs are read straight from the
            state (``Execution.inputs_of``'s first branch).

        The agent-loop options (issue 23; ``_ordering`` reads these, and only for a node
        whose ``ordered`` is true, so graphs without the options take their usual paths):

        ordered: Some field below is set: readiness, inputs and commits go through
            ``_ordering``.
        watch: The version keys whose change makes the node run again, in order: its inputs
            (shared names left out; a name with several producers watched per declared
            source) followed by ``waits``. For other nodes, ``inputs``.
        waits: Keys that must each exist and be fresh (produced since the node last ran):
            its ``wait_for`` names and the completion keys of ordering-only edges into it.
        signals: Keys bumped each time the node completes: its emits and, when an
            ordering-only edge leaves it, its completion key.
        sources: Input name -> indices of the nodes declared to feed it, for names several
            nodes produce: the node reads the latest write of one of these.
        sourced_out: Outputs that several nodes produce, so each write is also versioned
            per producer (the ``sources`` of their readers watch those).
        entry: An entrypoint: its first run needs no wait, no predecessor and no decision.
        held: For a node in an entrypoint's cycle: the nodes of the cycle feeding it; it
            waits until one of them has run (the entrypoint runs first).
    """

    __slots__ = (
        "cached",
        "caller",
        "chains",
        "consumers",
        "controllers",
        "cyclic",
        "defaulted",
        "direct",
        "edge_fed",
        "entry",
        "free",
        "func",
        "gate",
        "graph_node",
        "held",
        "index",
        "inherits",
        "inline",
        "inner_in",
        "inner_out",
        "inputs",
        "interrupt",
        "is_async",
        "is_generator",
        "key_part",
        "leaf",
        "mapped",
        "name",
        "node",
        "once",
        "ordered",
        "outputs",
        "renamed_in",
        "runner",
        "signals",
        "simple",
        "sourced_out",
        "sources",
        "targets",
        "waits",
        "watch",
    )

    def __init__(self, index: int, node: HyperNode, produced: Container[str], cyclic: bool) -> None:
        self.index = index
        self.name = node.name
        self.node = node
        inputs = self.inputs = node.inputs
        self.outputs = node.data_outputs  # emits carry no value (``signals`` has them)
        edge_fed = [p for p in inputs if p in produced]
        self.edge_fed: tuple[str, ...] = inputs
        self.free: tuple[str, ...] = ()
        self.defaulted: frozenset[str] = _NOTHING
        if len(edge_fed) != len(inputs):
            free = [p for p in inputs if p not in produced]
            self.edge_fed, self.free = tuple(edge_fed), tuple(free)
            self.defaulted = frozenset([p for p in free if node.has_default_for(p)])
        self.cyclic = cyclic
        self.consumers: tuple[int, ...] = ()
        self.chains: bool | None = None
        self.once = False  # set by Plan: nothing upstream can make it run twice
        self.direct = False  # set by Plan: ``once`` and every input edge-fed
        self.targets: tuple[int, ...] = ()  # for a gate: indices of the nodes it may choose
        self.controllers: tuple[int, ...] = ()  # indices of the gates that may choose this node
        # Agent-loop wiring (``_ordering.wire_plan`` fills these in for graphs that use it).
        self.ordered = False
        self.watch: tuple[str, ...] = inputs
        self.waits: tuple[str, ...] = ()
        self.signals: tuple[str, ...] = ()
        self.sources: dict[str, tuple[int, ...]] = _NO_SOURCES
        self.sourced_out: frozenset[str] = _NOTHING
        self.entry = False
        self.held: tuple[int, ...] = ()
        self.is_async = node.is_async
        self.is_generator = node.is_generator
        kind = type(node)
        self.graph_node: GraphNode | None = None
        self.gate: GateNode | None = None
        # For a FunctionNode: its function, and whether ``func(**inputs)`` is the call
        # convention (no renames, keyword parameters only); otherwise ``caller`` applies it.
        self.func: Any = None
        self.simple = False
        self.caller: Caller | None = None
        # An InterruptNode is not a leaf: the drivers hand it to ``_interrupt.ask`` (the
        # core's pause decision), never to the leaf policy (so never cached, never threaded).
        self.interrupt: Any = node if kind._is_interrupt else None
        function = isinstance(node, FunctionNode)
        self.leaf = function and self.interrupt is None
        self.cached = self.leaf and node.cache
        self.key_part: Any = None
        self.inline = False
        if function:
            assert isinstance(node, FunctionNode)
            self.inline = node.inline
            self.func = node.func
            parameters = node.parameters
            self.simple = is_simple(parameters)
            if not self.simple:
                self.caller = make_caller(node, parameters)
            if kind._is_gate:
                self.gate = node  # type: ignore[assignment]
        elif kind._is_graph_node:
            self.graph_node = node  # type: ignore[assignment]
        # GraphNode port tables (current name -> inner name, inner output -> current name)
        # and, per parent capabilities, whether the parent runner can run the inner graph.
        self.inner_in: dict[str, str] = _NO_PORTS
        self.inner_out: tuple[tuple[str, str], ...] = ()
        self.inherits: dict[Any, bool] = _NO_CAPABILITIES
        self.renamed_in = False
        self.mapped = False
        self.runner: Any = None
        if self.graph_node is not None:
            gn = self.graph_node
            self.inner_in = dict(zip(gn.inputs, gn.map_inputs_to_params(dict.fromkeys(gn.inputs))))
            self.inner_out = tuple(
                (inner, next(iter(gn.map_outputs_from_original({inner: None}))))
                for inner in gn.graph.outputs
                if inner not in gn.graph._structure.emits
            )
            self.inherits = {}
            self.renamed_in = any(k != v for k, v in self.inner_in.items())
            self.mapped = gn.map_config is not None
            self.runner = gn.runner

    def call(self, kwargs: dict[str, Any]) -> Any:
        """Call the FunctionNode's body with its resolved inputs (current names)."""
        return self.func(**kwargs) if self.simple else self.caller(kwargs)  # type: ignore[misc]


_NOTHING: frozenset[str] = frozenset()
_NO_SOURCES: dict[str, tuple[int, ...]] = {}  # shared by every node not reading them, never written
_NO_PORTS: dict[str, str] = {}  # shared by every leaf, never written
_NO_CAPABILITIES: dict[Any, bool] = {}  # likewise


class Plan:
    """Per-node tables plus the facts capability checks need (RUN-09).

    Attributes:
        nodes: One ``NodePlan`` per node, in node order.
        by_name: Node name -> ``NodePlan``.
        producers: Output name -> indices of every node producing it (several only for the
            mutually exclusive targets of one gate).
        consumers: Value name -> indices of the nodes consuming it, in node order.
        waiting: Per node, how many distinct nodes feed it (the dataflow's counters start
            here, ``_schedule.Dataflow``).
        roots: The nodes no other node feeds, in node order: the dataflow's first wave.
        has_gates: The graph has gates: readiness also checks their decisions.
        all_once: Every node runs at most once (no cycle, no gate): a fixed schedule applies.
        levels: For ``all_once`` graphs, the supersteps (``_schedule.Fixed``); else ``()``.
        capable: Runner capabilities already checked against this graph (RUN-09).
        sync_only: Every node at every level is a ``def`` FunctionNode (``sync_only()``;
            ``None`` until first asked).
        async_leaves: Names of the async FunctionNodes at this graph's own level.
        graph_nodes: The GraphNodes of this level (``graph_node_names``: their names).
        foreign: Nodes of a class the core cannot execute.
        has_cycles: The graph has a cycle.
        all_indices: ``range(len(nodes))`` as a tuple (a general run's first pending set).
        outputs: The graph's output names (what ``select=None`` returns).
        internal: Values produced inside the graph that are not seeds (nor answers).
        answer_keys: The answers a run of this graph may be given (``_interrupt``).
        pausable: An interrupt lies at some depth: the graph always runs in supersteps.
        known: Every name a run's values may hold: the inputs and the internal values.
    """

    def __init__(self, graph: Graph) -> None:
        # Compiled once per structure, on a graph's first run: it reads the structure's
        # per-value tables instead of re-deriving them.
        structure = graph._structure
        index = {name: i for i, name in enumerate(structure.nodes)}
        at = index.__getitem__
        producer = {v: index[ps[0]] for v, ps in structure.producers.items()}  # the first
        cyclic = structure.cyclic
        # With the agent-loop options, what feeds a node is its edges, not its names.
        fed = fed_names(graph) if structure.wired else None
        nodes = self.nodes = tuple(
            [
                NodePlan(i, n, producer if fed is None else fed[n.name], n.name in cyclic)
                for i, n in enumerate(structure.nodes.values())
            ]
        )
        self.by_name = dict(zip(index, nodes))
        self.consumers = {v: tuple(map(at, cs)) for v, cs in structure.consumers.items()}
        self.producers = {v: tuple(map(at, ps)) for v, ps in structure.producers.items()}
        consumers = self.consumers
        for p in nodes:
            if len(p.outputs) == 1:  # consumers of one value: distinct, in node order already
                p.consumers = consumers.get(p.outputs[0], ())
            elif p.outputs:
                p.consumers = tuple(sorted({c for v in p.outputs for c in consumers.get(v, ())}))
        # Dataflow: per node, how many distinct nodes feed it.
        self.waiting = tuple(
            [
                len(p.edge_fed) if len(p.edge_fed) < 2 else len({producer[v] for v in p.edge_fed})
                for p in nodes
            ]
        )
        self.roots = tuple([p for p, w in zip(nodes, self.waiting) if not w])
        controllers: dict[int, list[int]] = {}
        for gate, target in structure.control_edges:
            controllers.setdefault(index[target], []).append(index[gate])
            g = nodes[index[gate]]
            g.targets = (*g.targets, index[target])
        for i, gates in controllers.items():
            nodes[i].controllers = tuple(gates)
        self.has_gates = bool(structure.control_edges) or any(p.gate is not None for p in nodes)
        self._mark_once()
        self.capable: set[Any] = set()  # runner capabilities already checked (RUN-09)
        self.sync_only: bool | None = None  # computed on demand by ``sync_only``
        self.async_leaves = tuple([p.name for p in nodes if p.leaf and p.is_async])
        self.graph_nodes = tuple([p.graph_node for p in nodes if p.graph_node is not None])
        self.graph_node_names = tuple([gn.name for gn in self.graph_nodes])
        self.foreign = tuple(
            [p.node for p in nodes if not p.leaf and p.graph_node is None and p.interrupt is None]
        )
        self.has_cycles = structure.has_cycles
        self.all_indices = tuple(range(len(nodes)))
        self.outputs = structure.outputs
        order = structure.input_order
        self.internal = frozenset([v for v in structure.producers if order.get(v) != "seed"])
        # Every name ``values`` may hold: the graph's inputs (bindings never change which
        # names are inputs) and its internal values (which bypass their producers).
        self.known = frozenset(order) | self.internal
        # Interrupts (issue 18): answers are not internal values (giving one does not bypass
        # its producer), and a graph that can pause always runs in supersteps.
        self.answer_keys = answer_keys(self)
        self.pausable = pausable(self)
        if self.answer_keys:
            self.internal = self.internal - self.answer_keys.keys()
        self.all_once = not self.pausable and all(p.once for p in nodes)
        self.levels = self._levels() if self.all_once else ()
        # Agent-loop wiring (issue 23): filled in by ``wire_plan`` for graphs that use it.
        self.wired = structure.wired
        self.waiters: dict[str, tuple[int, ...]] = {}  # wait key -> indices of its waiters
        self.unchecked: frozenset[str] = frozenset()  # several writers, no ConflictError
        if structure.wired:
            wire_plan(self, graph)
        for p in nodes:
            p.direct = p.once and not p.free  # (ordered nodes are never ``once``)

    def _mark_once(self) -> None:
        """``once`` for every node no cycle, gate or gate target can reach (iteratively)."""
        tainted = [p.index for p in self.nodes if p.cyclic or p.gate is not None or p.controllers]
        reached = set(tainted)
        while tainted:
            p = self.nodes[tainted.pop()]
            for nxt in (*p.consumers, *p.targets):
                if nxt not in reached:
                    reached.add(nxt)
                    tainted.append(nxt)
        for p in self.nodes:
            p.once = p.index not in reached

    def _levels(self) -> tuple[tuple[NodePlan, ...], ...]:
        """The supersteps of an acyclic, gate-free graph, computed once (Kahn's algorithm).

        Every node runs exactly once, in superstep ``1 + max(superstep of its producers)``,
        and in node order within a superstep: the schedule the general readiness rules
        produce when nothing is bypassed or addressed.
        """
        nodes = self.nodes
        waiting = list(self.waiting)
        level = [0] * len(nodes)
        frontier = [i for i, w in enumerate(waiting) if not w]
        while frontier:
            i = frontier.pop()
            after = level[i] + 1
            for c in nodes[i].consumers:
                if level[c] < after:
                    level[c] = after
                waiting[c] -= 1
                if not waiting[c]:
                    frontier.append(c)
        groups: list[list[NodePlan]] = [[] for _ in range(max(level, default=-1) + 1)]
        for p, k in zip(nodes, level):
            groups[k].append(p)
        return tuple([tuple(g) for g in groups])


def chainable(p: NodePlan) -> bool:
    """A worker thread may run ``p`` after the node it just ran (``_chain``): a ``def``
    FunctionNode; not an async body, a GraphNode, an interrupt, or a ``cache=True`` node (its
    lookup belongs to the loop). A gate may be one: only supersteps meet gates (a graph with
    a gate never runs on the dataflow), and there the thread commits its decision."""
    return p.leaf and not p.is_async and not p.cached


def chains(plan: Plan, p: NodePlan) -> bool:
    """``p.chains``, worked out at its first use and kept on the plan."""
    found = p.chains
    if found is None:
        nodes = plan.nodes
        found = p.chains = any(chainable(nodes[c]) for c in p.consumers)
    return found


def sync_only(graph: Graph) -> bool:
    """True if every node at every level is a ``def`` FunctionNode (gates included).

    Such a graph can run whole in one worker thread under the sync driver, which is how
    ``AsyncRunner`` runs map items of it (one thread trip per item or chunk of items).
    A nested graph with a runner override does not count (its runner decides).
    """
    plan = plan_of(graph)
    known = plan.sync_only
    if known is None:
        known = not plan.async_leaves and not plan.foreign
        for gn in plan.graph_nodes:
            known = known and gn.runner is None and sync_only(gn.graph)
        plan.sync_only = known
    return known


def plan_of(graph: Graph) -> Plan:
    """The graph's compiled plan, built on first use and cached with its structure."""
    cache: dict[str, Any] = graph._structure.cache
    plan = cache.get("plan")
    if plan is None:
        plan = cache.setdefault("plan", Plan(graph))
    return plan  # type: ignore[no-any-return]
