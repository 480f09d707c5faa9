"""A chat loop: several nodes read and write one ``messages`` list, with a tool step.

Name matching alone cannot wire this (three nodes write ``messages``), so the graph says:

- ``shared=["messages"]``: no edge is inferred for ``messages``; every node reads the last
  committed write, and the run supplies its initial value;
- ``edges=[...]``: the order of the steps of a turn (an edge with no common value orders only);
- ``emit=`` / ``wait_for=``: the model waits until the tool has appended its result, so it
  never reads the messages from before the tool ran;
- ``entrypoint="add_user"``: the loop starts with the user's turn, and a ``route`` ends it
  after ``max_turns`` answers::

    add_user -> run_tool ~~tool_done~~> call_model -> add_response -> should_continue
       ^                                                                   |
       +---------------------------- "add_user" ---------------------------+--> END

The model is scripted (it answers from the tool's result), so the run is deterministic.
Run it with ``uv run python examples/chat_loop.py``.
"""

from __future__ import annotations

import asyncio

from hypergraph import END, AsyncRunner, Graph, SyncRunner, node, route

USER_TURNS = ["What is the capital of France?", "And of Japan?", "Thanks!"]
FACTS = {"France": "Paris", "Japan": "Tokyo"}


@node(output_name="messages")
def add_user(messages: list[dict[str, str]], user_turns: list[str]) -> list[dict[str, str]]:
    turn = sum(1 for m in messages if m["role"] == "user")
    return [*messages, {"role": "user", "content": user_turns[turn]}]


@node(output_name="messages", emit="tool_done")
def run_tool(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    question = messages[-1]["content"]
    found = [f"{country}: {city}" for country, city in FACTS.items() if country in question]
    return [*messages, {"role": "tool", "content": "; ".join(found) or "nothing found"}]


@node(output_name="reply", wait_for="tool_done")
def call_model(messages: list[dict[str, str]]) -> str:
    tool = messages[-1]["content"]  # fresh: wait_for guarantees the tool's result is there
    if tool == "nothing found":
        return "You're welcome!"
    return f"It is {tool.split(': ')[1]}."


@node(output_name="messages")
def add_response(messages: list[dict[str, str]], reply: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": reply}]


@route(targets=["add_user", END])
def should_continue(messages: list[dict[str, str]], max_turns: int) -> object:
    answered = sum(1 for m in messages if m["role"] == "assistant")
    return END if answered >= max_turns else "add_user"


chat = Graph(
    [add_user, run_tool, call_model, add_response, should_continue],
    shared=["messages"],
    edges=[(add_user, run_tool), (add_response, should_continue)],
    entrypoint="add_user",
    name="chat",
)


def main() -> None:
    values = {"messages": [], "user_turns": USER_TURNS, "max_turns": 3}
    result = SyncRunner().run(chat, values)
    for m in result["messages"]:
        print(f"{m['role']:>9}: {m['content']}")
    again = asyncio.run(AsyncRunner().run(chat, values))
    print("AsyncRunner gives the same messages:", again["messages"] == result["messages"])
    print("required inputs:", ", ".join(chat.inputs.required))


if __name__ == "__main__":
    main()
