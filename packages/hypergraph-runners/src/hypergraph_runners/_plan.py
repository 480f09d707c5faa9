"""The compiled plan: per-node tables the execution core reads on every run.

A plan depends only on a graph's node list, never on its bindings, so it is cached in the
graph's shared ``Structure`` and reused by every ``bind``/``unbind`` copy. Two threads racing
to compile build equal plans and either may win (RELIABILITY F13).
"""

from __future__ import annotations

from typing import Any

from hypergraph_graph import FunctionNode, GateNode, Graph, GraphNode, HyperNode

from ._leaf import Caller, is_simple, make_caller

__all__ = ["NodePlan", "Plan", "plan_of"]


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
        caller: For a FunctionNode, the function applying the call convention.
        graph_node: The node if it is a GraphNode, else ``None``.
        gate: The node if it is a gate (route / ifelse), else ``None``.
        targets: For a gate, the indices of the nodes it may choose.
        controllers: The indices of the gates that may choose this node: it runs only while
            one of them has decided for it.
        once: No cycle and no gate lies upstream of (or at) this node, so it runs at most once
            per run and its inputs never change: the core skips its version bookkeeping.
        simple: The node's function can be called as ``func(**inputs)``.
    """

    __slots__ = (
        "caller",
        "consumers",
        "controllers",
        "cyclic",
        "defaulted",
        "edge_fed",
        "free",
        "func",
        "gate",
        "graph_node",
        "index",
        "inherits",
        "inner_in",
        "inner_out",
        "inputs",
        "is_async",
        "is_generator",
        "name",
        "node",
        "once",
        "outputs",
        "simple",
        "targets",
    )

    def __init__(self, index: int, node: HyperNode, produced: dict[str, int], cyclic: bool) -> None:
        self.index = index
        self.name = node.name
        self.node = node
        self.inputs = node.inputs
        self.outputs = node.outputs
        self.edge_fed = tuple(p for p in node.inputs if p in produced)
        self.free = tuple(p for p in node.inputs if p not in produced)
        self.defaulted = frozenset(p for p in self.free if node.has_default_for(p))
        self.cyclic = cyclic
        self.consumers: tuple[int, ...] = ()
        self.is_async = node.is_async
        self.is_generator = node.is_generator
        # One isinstance per class (they are ABCs: each check costs), the results reused.
        is_function = isinstance(node, FunctionNode)
        self.caller: Caller | None = None
        self.func: Any = None
        # A FunctionNode called as func(**inputs): no renames, only keyword-passable params.
        self.simple = False
        if is_function:
            assert isinstance(node, FunctionNode)
            parameters = node.parameters
            self.caller = make_caller(node, parameters)
            self.simple = is_simple(parameters)
            self.func = node.func
        self.once = False  # set by Plan: nothing upstream can make it run twice
        self.graph_node: GraphNode | None = (
            node if not is_function and isinstance(node, GraphNode) else None
        )
        self.gate: GateNode | None = node if is_function and type(node)._is_gate else None  # type: ignore[assignment]
        # GraphNode port tables (current name -> inner name, inner output -> current name)
        # and, per parent capabilities, whether the parent runner can run the inner graph.
        self.inner_in: dict[str, str] = {}
        self.inner_out: tuple[tuple[str, str], ...] = ()
        self.inherits: dict[Any, bool] = {}
        if self.graph_node is not None:
            gn = self.graph_node
            self.inner_in = dict(zip(gn.inputs, gn.map_inputs_to_params(dict.fromkeys(gn.inputs))))
            self.inner_out = tuple(
                (inner, next(iter(gn.map_outputs_from_original({inner: None}))))
                for inner in gn.graph.outputs
            )
        self.targets: tuple[int, ...] = ()  # for a gate: indices of the nodes it may choose
        self.controllers: tuple[int, ...] = ()  # indices of the gates that may choose this node


class Plan:
    """Per-node tables plus the facts capability checks need (RUN-09).

    Attributes:
        nodes: One ``NodePlan`` per node, in node order.
        by_name: Node name -> ``NodePlan``.
        producer: Output name -> index of the (first) node producing it.
        producers: Output name -> indices of every node producing it (several only for the
            mutually exclusive targets of one gate).
        has_gates: The graph has gates: readiness also checks their decisions.
        consumers: Value name -> indices of the nodes consuming it, in node order.
        async_leaves: Names of the async FunctionNodes at this graph's own level.
        foreign: Nodes of a class the core cannot execute.
        graph_nodes: The GraphNodes of this level.
    """

    def __init__(self, graph: Graph) -> None:
        structure = graph._structure
        names = list(structure.nodes)
        index = {name: i for i, name in enumerate(names)}
        self.producer = {value: index[ps[0]] for value, ps in structure.producers.items()}
        self.nodes = tuple(
            NodePlan(i, n, self.producer, n.name in structure.cyclic)
            for i, n in enumerate(structure.nodes.values())
        )
        self.by_name = {p.name: p for p in self.nodes}
        self.consumers = {
            value: tuple(index[c] for c in cs) for value, cs in structure.consumers.items()
        }
        for p in self.nodes:
            p.consumers = tuple(
                sorted({c for out in p.outputs for c in self.consumers.get(out, ())})
            )
        self.producers = {
            value: tuple(index[p] for p in ps) for value, ps in structure.producers.items()
        }
        controllers: dict[int, list[int]] = {}
        for gate, target in structure.control_edges:
            controllers.setdefault(index[target], []).append(index[gate])
            g = self.nodes[index[gate]]
            g.targets = (*g.targets, index[target])
        for i, gates in controllers.items():
            self.nodes[i].controllers = tuple(gates)
        self.has_gates = bool(structure.control_edges) or any(
            p.gate is not None for p in self.nodes
        )
        self._mark_once()
        self.all_once = all(p.once for p in self.nodes)
        # Dataflow tables: per node, the distinct nodes feeding it and those it feeds.
        self.waiting = tuple(len({self.producer[v] for v in p.edge_fed}) for p in self.nodes)
        self.levels = self._levels() if self.all_once else ()
        self.capable: set[Any] = set()  # runner capabilities already checked (RUN-09)
        self.async_leaves = tuple(
            p.name for p in self.nodes if isinstance(p.node, FunctionNode) and p.is_async
        )
        self.foreign = tuple(
            p.node for p in self.nodes if not isinstance(p.node, (FunctionNode, GraphNode))
        )
        self.graph_nodes = tuple(p.graph_node for p in self.nodes if p.graph_node is not None)
        self.has_cycles = structure.has_cycles
        self.all_indices = tuple(range(len(self.nodes)))
        self.outputs = structure.outputs
        self.internal = frozenset(
            v for v in structure.producers if structure.input_order.get(v) != "seed"
        )

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
        waiting = list(self.waiting)
        level = [0] * len(self.nodes)
        frontier = [p.index for p in self.nodes if not waiting[p.index]]
        while frontier:
            i = frontier.pop()
            for c in self.nodes[i].consumers:
                level[c] = max(level[c], level[i] + 1)
                waiting[c] -= 1
                if not waiting[c]:
                    frontier.append(c)
        groups: dict[int, list[NodePlan]] = {}
        for p in self.nodes:
            groups.setdefault(level[p.index], []).append(p)
        return tuple(tuple(groups[k]) for k in sorted(groups))


def plan_of(graph: Graph) -> Plan:
    """The graph's compiled plan, built on first use and cached with its structure."""
    cache: dict[str, Any] = graph._structure.cache
    plan = cache.get("plan")
    if plan is None:
        plan = cache.setdefault("plan", Plan(graph))
    return plan  # type: ignore[no-any-return]
