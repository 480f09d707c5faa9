"""Scale a map out: the same graph on a Dask cluster, then on a process pool.

Run: python examples/scale_out.py   (needs the dask extra: pip install 'hypergraph-runtime[dask]')

The cluster here is a LocalCluster of 2 worker processes; for a real cluster, pass
Client("tcp://scheduler:8786") instead. Node functions defined in this script (``__main__``)
travel to the workers by value: no module needs installing there.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from distributed import Client, LocalCluster

from hypergraph import Graph, SyncRunner, WorkerLostError, node

STOPWORDS = {"the", "a", "of", "and"}


@node(output_name="words")
def tokenize(doc: str) -> list[str]:
    if not doc:
        raise ValueError("empty document")
    return [w for w in doc.lower().split() if w not in STOPWORDS]


@node(output_name="score")
def score(words: list[str], keyword: str) -> int:
    return sum(w == keyword for w in words)


graph = Graph([tokenize, score], name="scoring")


def main() -> None:
    docs = [f"the cat and the {'cat ' * (i % 4)}dog of doc {i}" for i in range(1_000)]
    docs[17] = ""  # one bad item: FAILED, the others complete
    values = {"doc": docs, "keyword": "cat"}  # keyword is broadcast: shipped once per call

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        runner = SyncRunner(executor=client)  # chunksize="auto", bounded window
        results = runner.map(graph, values, map_over="doc")
        print(f"dask: {results.status.value}, {len(results.failures)} failed")
        failed = results[17]
        print(f"item 17: {type(failed.error).__name__}: {failed.error}")
        print(f"total score: {sum(r['score'] for r in results if r.completed)}")
        assert not isinstance(failed.error, WorkerLostError)

    # forkserver: this process has threads by now (Dask's), and forking it is unsafe
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        results = SyncRunner(executor=pool, chunksize=100).map(graph, values, map_over="doc")
        print(f"process pool: total score {sum(r['score'] for r in results if r.completed)}")


if __name__ == "__main__":  # worker processes import this script: keep the work behind the guard
    main()
