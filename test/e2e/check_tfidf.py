#!/usr/bin/env python3
"""Checks TfIdfVectorizer against onnxruntime in the modes and inputs the
ONNX backend tests leave out: IDF and TFIDF with and without weights, int64
and int32 rows, [C] and [B, C] inputs, unigrams with skips (counted once),
trigrams, and an n-gram repeated in a row. Counts and weight products are
exact in float, so the outputs must be equal.

check_tfidf.py --tools <bin folder> --work <scratch folder>
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from one_node import arguments, run_both, tally  # noqa: E402


# Pool: unigrams 2, 3, 5; bigrams (5, 6), (7, 8), (2, 3); trigram (3, 2, 3).
POOL = dict(pool_int64s=[2, 3, 5, 5, 6, 7, 8, 2, 3, 3, 2, 3],
            ngram_counts=[0, 3, 9], ngram_indexes=[0, 1, 2, 3, 4, 5, 6])
WEIGHTS = [0.5, 1.5, 2.0, 0.25, 3.0, 1.0, 4.0]
ROWS = np.array([[2, 3, 2, 3, 5, 6, 7, 8, 2, 3],
                 [3, 2, 3, 7, 1, 8, 5, 9, 6, 2]])


def case(name, mode, weights, dtype, batch, grams, skip):
    attributes = dict(POOL, mode=mode, min_gram_length=grams[0],
                      max_gram_length=grams[1], max_skip_count=skip)
    if weights:
        attributes["weights"] = WEIGHTS
    x = ROWS if batch else ROWS[0]
    node = helper.make_node("TfIdfVectorizer", ["X"], ["Y"], **attributes)
    graph = helper.make_graph(
        [node], "tfidf",
        [helper.make_tensor_value_info("X", dtype, list(x.shape))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 9)], ir_version=8)
    x = x.astype(np.int64 if dtype == TensorProto.INT64 else np.int32)
    return name, model, x


def run(tools, work, name, model, x):
    got, want = run_both(tools, os.path.join(work, name), model, {"X": x})
    ok = got.shape == want.shape and np.array_equal(got, want)
    print(f"{name}: {'ok' if ok else 'differs'}")
    if not ok:
        print(f"  want {want.tolist()}\n  got  {got.tolist()}")
    return ok


def main():
    args = arguments()
    i64, i32 = TensorProto.INT64, TensorProto.INT32
    cases = [
        case("tf_uni_to_tri_skip2", "TF", False, i64, True, (1, 3), 2),
        case("idf_weighted", "IDF", True, i64, True, (1, 3), 1),
        case("idf_unweighted", "IDF", False, i32, False, (1, 2), 0),
        case("tfidf_weighted", "TFIDF", True, i32, True, (1, 3), 3),
        case("tfidf_unweighted_bigrams", "TFIDF", False, i64, True, (2, 2), 1),
        case("tfidf_trigrams_only", "TFIDF", True, i64, False, (3, 3), 0),
    ]
    return tally([run(args.tools, args.work, *c) for c in cases],
                 "TfIdfVectorizers")


if __name__ == "__main__":
    sys.exit(main())
