"""The latency budget: the most accurate model whose p50 fits, trained, exported and timed.

    from fnet_keras.budget import run_budget
    result = run_budget("../shared/data/imdb", 5.0, presets=["tiny"], mixings=["fourier", "attention"],
                        lengths=[128, 256, 512], profile="phone-bench.json")
    print(result.format())       # every candidate: params, bytes, dev/test accuracy, p50s, fits?
    result.choice                # the chosen BudgetRow, or None when nothing fits

Command line: `fnet-keras budget --data DIR --latency-ms 5 [--profile BENCH.json] ...`. Only
`runner` loads TensorFlow, and only to train or export.
"""

from fnet_keras.budget.candidates import MODEL_KINDS, Candidate, ModelKind, candidate_grid
from fnet_keras.budget.errors import BudgetError
from fnet_keras.budget.latency import BUDGET_ON, Latency, measure_latencies, profile_latencies
from fnet_keras.budget.result import BudgetResult, BudgetRow, choose
from fnet_keras.budget.runner import CandidatePlan, plan_candidates, prepare_candidates, run_budget

__all__ = [
    "BUDGET_ON", "MODEL_KINDS", "BudgetError", "BudgetResult", "BudgetRow", "Candidate", "CandidatePlan",
    "Latency", "ModelKind", "candidate_grid", "choose", "measure_latencies", "plan_candidates",
    "prepare_candidates", "profile_latencies", "run_budget",
]
