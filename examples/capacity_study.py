"""A capacity study in Python: a fifth PECVD source on INL1, and the accumulator behind it.

Run ``python examples/capacity_study.py``. ``R2R_EXAMPLE_QUICK=1`` runs a tiny version (2
replications of 2 days), as the tests do.
"""

import os
from pathlib import Path

import twin

if __name__ == "__main__":
    quick = bool(os.environ.get("R2R_EXAMPLE_QUICK"))
    plant = twin.load_scenario(Path(__file__).parent.parent / "scenarios" / "baseline.yaml")
    plant = plant.with_changes({"lines[0].stations[1].equipment.sources": 5})  # PC1: 4 -> 5
    spec = twin.StudySpec(
        name="INL1 accumulator with five PECVD sources",
        scenario=plant,
        factors=[
            twin.Factor(name="ACC2_m", path="lines[0].buffers[1].capacity_m", values=[50, 400])
        ],
        replications=2 if quick else 10,
        horizon="2d" if quick else "30d",
        kpis=["output_m2_per_h", "lines.INL1.output_m2_per_h", "lines.INL1.wip_rolls"],
    )
    result = twin.run_study(spec, store=twin.Store(os.environ.get("R2R_STORE")), workers=2)
    print(result.table)
    print("best:", result.best("lines.INL1.output_m2_per_h").name, "study", result.study_id)
