"""Schemas of the recognition endpoints."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class PlateCandidateOut(Schema):
    """One plate found in the photo."""

    plate: str = Field(description="车牌号（已规范化，符合 GA 36-2018）")
    confidence: float = Field(ge=0, le=1, description="整牌置信度 0-1")
    char_confidences: list[float] = Field(description="逐字置信度")
    unsure_positions: list[int] = Field(
        description="置信度低于 0.5 的字符位置（从 0 起），提示民警重点核对"
    )
    color: str = Field(description="号牌颜色：blue/yellow/green_small/green_large/white/black")
    color_label: str
    box: list[int] = Field(description="[x1, y1, x2, y2]，原图（已按 EXIF 转正）像素坐标")
    corners: list[list[float]] = Field(description="左上、右上、右下、左下四角坐标")
    needs_review: bool = Field(description="置信度低，需人工确认或输入")


class PlateReadingOut(Schema):
    """The reading of one photo: the most likely target plate first."""

    plate: str | None = Field(description="最可能的目标车牌；无车牌时为 null")
    confidence: float
    char_confidences: list[float] = Field(description="目标车牌的逐字置信度")
    unsure_positions: list[int] = Field(
        description="目标车牌中置信度低于 0.5 的字符位置（从 0 起），提示民警重点核对"
    )
    color: str | None
    color_label: str | None
    box: list[int] | None
    needs_review: bool
    candidates: list[PlateCandidateOut]
    model_set: str = Field(description="所用模型组合")
    model_versions: list[str]
    ms: float = Field(description="识别耗时（毫秒）")
    image_size: list[int]
