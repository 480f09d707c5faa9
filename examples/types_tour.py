"""A tour of hypergraph-types: the records every run produces."""

from hypergraph_types import GraphState, RunResult, RunStatus

state = GraphState()
state.update_value("count", 1)
state.update_value("count", 1)  # the same value: the version stays
state.update_value("count", 2)
print("count version:", state.get_version("count"))

result = RunResult({"answer": 42}, RunStatus.COMPLETED)
print(result.run_id, result["answer"], "answer" in result)
