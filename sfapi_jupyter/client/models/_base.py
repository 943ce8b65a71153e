"""Shared model plumbing: the base model and lists that turn into DataFrames."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

M = TypeVar("M", bound=BaseModel)


class Model(BaseModel):
    """Base of every model: unknown fields are kept (the API may add some)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ModelList(list[M], Generic[M]):
    """A list of models with ``.to_dataframe()`` (pandas is imported only then)."""

    def to_dataframe(self) -> Any:
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is optional
            raise ImportError("to_dataframe() needs pandas: pip install pandas") from None
        return pd.DataFrame([m.model_dump() for m in self])
