"""A retrieval-augmented answering pipeline with fake model calls.

Two graphs:

- ``indexing`` splits every document into chunks and embeds each chunk. The per-document work
  is a nested graph mapped over the documents (``map_over``), and the per-chunk embedding is
  another nested graph mapped over the chunks, both renamed to fit their parents.
- ``qa`` embeds a question with the same embedding node (renamed), retrieves the closest chunks
  and asks a fake LLM. ``runner.map`` answers several questions, broadcasting the index.

The "models" are deterministic stand-ins that sleep briefly, like network calls would.
``max_concurrency`` caps the model calls in flight across every nesting level and map item.

Run it with ``uv run python examples/rag_pipeline.py``.
"""

from __future__ import annotations

import asyncio
import math
import zlib
from typing import NamedTuple

from hypergraph import AsyncRunner, Graph, node

Vector = list[float]


class Chunk(NamedTuple):
    key: str  # "<document id>#<position>"
    text: str
    vector: Vector


DIM = 256
MAX_CONCURRENCY = 4

DOCUMENTS = [
    {
        "id": "cats",
        "text": "Cats sleep up to sixteen hours a day. A cat purrs when content. "
        "Cats groom themselves with rough tongues.",
    },
    {
        "id": "dogs",
        "text": "Dogs were domesticated from wolves. A dog barks to warn its family. "
        "Dogs need daily walks.",
    },
    {
        "id": "bees",
        "text": "Bees make honey from nectar. A hive has one queen. "
        "Bees dance to share where flowers grow.",
    },
    {
        "id": "owls",
        "text": "Owls hunt at night. An owl can turn its head very far. Owls swallow prey whole.",
    },
]

QUESTIONS = [
    "How long do cats sleep?",
    "Why does a dog bark?",
    "What do bees make from nectar?",
    "Which planet has rings?",  # nothing in the corpus: the fake LLM refuses
]


# -- fake model services -------------------------------------------------------------------


class ModelService:
    """Counts the calls in flight, so we can check that max_concurrency holds."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    async def call(self, seconds: float) -> None:
        self.in_flight += 1
        self.calls += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.in_flight -= 1


service = ModelService()


STOPWORDS = {"a", "an", "the", "do", "does", "to", "up", "its", "how", "why", "what", "which"}


def words(text: str) -> list[str]:
    """Lower-cased words without stopwords, with a crude plural/verb stemmer."""
    cleaned = (w.strip(".,?!").lower() for w in text.split())
    return [w.removesuffix("s") for w in cleaned if w and w not in STOPWORDS]


async def fake_embedding_api(text: str) -> Vector:
    """A hashed bag of words, normalised: similar wording gives similar vectors."""
    await service.call(0.005)
    vector = [0.0] * DIM
    for word in words(text):
        vector[zlib.crc32(word.encode()) % DIM] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


async def fake_llm_api(question: str, context: list[str]) -> str:
    await service.call(0.01)
    if not context:
        raise LookupError(f"no relevant documents for {question!r}")
    return f"{context[0]} (from {len(context)} passage{'s' * (len(context) > 1)})"


# -- nodes ---------------------------------------------------------------------------------


@node(output_name="vector")
async def embed(text: str) -> Vector:
    return await fake_embedding_api(text)


@node(output_name=("doc_id", "chunks"))
def split_document(document: dict[str, str]) -> tuple[str, list[str]]:
    chunks = [s.strip() + "." for s in document["text"].split(".") if s.strip()]
    return document["id"], chunks


@node(output_name="entries")
def label_chunks(doc_id: str, chunks: list[str], vectors: list[Vector]) -> list[Chunk]:
    return [Chunk(f"{doc_id}#{i}", text, vec) for i, (text, vec) in enumerate(zip(chunks, vectors))]


@node(output_name="index")
def merge(doc_entries: list[list[Chunk]]) -> list[Chunk]:
    return [chunk for entries in doc_entries for chunk in entries]


def similarity(a: Vector, b: Vector) -> float:
    return sum(x * y for x, y in zip(a, b))


@node(output_name="hits")
def retrieve(query_vector: Vector, index: list[Chunk], top_k: int = 2) -> list[Chunk]:
    ranked = sorted(index, key=lambda c: (-similarity(query_vector, c.vector), c.key))
    return [c for c in ranked[:top_k] if similarity(query_vector, c.vector) > 0.3]


@node(output_name="answer")
async def generate(query: str, hits: list[Chunk]) -> str:
    return await fake_llm_api(query, [chunk.text for chunk in hits])


# -- graphs --------------------------------------------------------------------------------

# One chunk -> one vector, mapped over a document's chunks (renamed to the parent's names).
embed_chunks = (
    Graph([embed], name="embed_chunk")
    .as_node()
    .rename_inputs(text="chunks")
    .rename_outputs(vector="vectors")
    .map_over("chunks")
)
index_document = Graph([split_document, embed_chunks, label_chunks], name="index_document")
indexing = Graph(
    [
        index_document.as_node()
        .rename_inputs(document="documents")
        .rename_outputs(entries="doc_entries")
        .map_over("documents"),
        merge,
    ],
    name="indexing",
)

embed_query = (
    embed.with_name("embed_query").rename_inputs(text="query").rename_outputs(vector="query_vector")
)
qa = Graph([embed_query, retrieve, generate], name="qa")


async def main() -> None:
    runner = AsyncRunner()

    indexed = await runner.run(
        indexing,
        {"documents": DOCUMENTS},
        select=["index", "index_document"],
        max_concurrency=MAX_CONCURRENCY,
    )
    index = indexed["index"]
    per_doc = indexed["index_document"]  # one nested RunResult per document
    print(f"Indexed {len(per_doc)} documents into {len(index)} chunks:")
    for doc, result in zip(DOCUMENTS, per_doc):
        print(f"  {doc['id']:<5} {len(result['chunks'])} chunks, {result.status.value}")

    answers = await runner.map(
        qa,
        {"query": QUESTIONS, "index": index},  # index is broadcast to every question
        map_over="query",
        max_concurrency=MAX_CONCURRENCY,
    )
    print(f"\nAnswered {len(answers)} questions:")
    for question, result in zip(QUESTIONS, answers):
        print(f"  Q: {question}")
        if result.completed:
            sources = ", ".join(chunk.key for chunk in result["hits"])
            print(f"  A: {result['answer']}  [sources: {sources}]")
        else:
            print(f"  !  failed at node {result.failed_node!r}: {result.error}")

    assert service.peak <= MAX_CONCURRENCY  # answers is a MapResult: counts and failures built in
    print(f"\n{answers.completed} answered, {answers.failed} failed")
    print(f"{service.calls} model calls, never more than {MAX_CONCURRENCY} at once")


if __name__ == "__main__":
    asyncio.run(main())
