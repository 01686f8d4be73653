"""The main job: a synthetic hospital built once, a tour, and research questions answered."""

DEMO_WAREHOUSE = "entrepot-demo.duckdb"

__all__ = ["DEMO_WAREHOUSE", "QUESTIONS", "Question", "build_demo", "tour"]


def __getattr__(name: str):  # lazy: `entrepot --help` must not import Ibis
    if name in ("build_demo", "tour"):
        from entrepot.demo import _demo

        return getattr(_demo, name)
    if name in ("QUESTIONS", "Question"):
        from entrepot.demo import _questions

        return getattr(_questions, name)
    raise AttributeError(f"module 'entrepot.demo' has no attribute {name!r}")
