"""What the abuse limits (schema/gates.py) add to validating a document, against the same
run's baseline: graphql-core's specified rules alone. Validation results are cached per
document in the server, so this is the price of the first request with a new document.

    .venv/bin/python -m bench.limits [--rounds 7] [--repeat 200]

The arms take turns in interleaved rounds; the report gives the median per-round ratio with
the lowest and highest round in brackets, like the other benchmarks (bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import time

from graphql import ASTValidationRule, DocumentNode, GraphQLSchema, parse, specified_rules, validate

from clients.documents import CHILDREN_DIARY, JOURNAL
from schema import build_schema
from schema.gates import Limits, validation_rules


def _time(
    schema: GraphQLSchema, documents: list[DocumentNode], rules: list[type[ASTValidationRule]], repeat: int
) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for document in documents:
            validate(schema, document, rules)
    return (time.perf_counter() - start) / (repeat * len(documents))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.limits")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    schema = build_schema()._schema
    documents = [parse(CHILDREN_DIARY), parse(JOURNAL)]
    baseline = list(specified_rules)
    limited = baseline + list(validation_rules(Limits()))
    base_times, limit_times, ratios = [], [], []
    for round_ in range(args.rounds):
        arms = [("baseline", baseline), ("limits", limited)]
        if round_ % 2:
            arms.reverse()
        measured = {name: _time(schema, documents, rules, args.repeat) for name, rules in arms}
        base_times.append(measured["baseline"])
        limit_times.append(measured["limits"])
        ratios.append(measured["limits"] / measured["baseline"])
    print(f"validation per document, {args.rounds} rounds x {args.repeat} x {len(documents)} documents")
    for name, values in (("specified rules", base_times), ("+ abuse limits", limit_times)):
        low, high = min(values) * 1e6, max(values) * 1e6
        print(f"  {name:16} {statistics.median(values) * 1e6:8.1f} us  [{low:.1f} .. {high:.1f}]")
    print(f"  ratio            {statistics.median(ratios):8.3f}     [{min(ratios):.3f} .. {max(ratios):.3f}]")


if __name__ == "__main__":
    main()
