"""Shared model plumbing: the base model and lists that turn into DataFrames."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from .._errors import UnexpectedAnswerError

M = TypeVar("M", bound=BaseModel)


def unexpected_answer(model: str, exc: PydanticValidationError) -> UnexpectedAnswerError:
    """pydantic's complaint about an answer, as the client's one error for such answers."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'the answer'}: {e['msg']}"
        for e in exc.errors()[:3]
    ]
    return UnexpectedAnswerError(
        f"The API's answer does not have the shape of a {model} ({'; '.join(problems)}). "
        "The API may have changed, or something between you and it answered instead."
    )


class Model(BaseModel):
    """Base of every model: unknown fields are kept (the API may add some).

    Models hold what the API answered; an answer that does not fit raises
    :class:`UnexpectedAnswerError` (an ``ApiError``), not pydantic's own error.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except PydanticValidationError as exc:
            raise unexpected_answer(type(self).__name__, exc) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except PydanticValidationError as exc:
            raise unexpected_answer(cls.__name__, exc) from None


class ModelList(list[M], Generic[M]):
    """A list of models with ``.to_dataframe()`` (pandas is imported only then)."""

    def to_dataframe(self) -> Any:
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is optional
            raise ImportError("to_dataframe() needs pandas: pip install pandas") from None
        return pd.DataFrame([m.model_dump() for m in self])
