"""Request and response bodies of the HTTP service that are not engine results.

Engine results (`AskResponse`, `Citation`, `PassageResponse`, `ReportInfo`, `VerifyResponse`) are
the models of `indexer.models`, returned by the engine as they are. Text limits count characters
after trimming, which JSON Schema's maxLength cannot express, so they are stated in descriptions.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.settings import LIMITS


# ---------------------------------------------------------------- text checks shared by the bodies
def clean_text(value: Any, field: str, limit: int, zh_name: str) -> str:
    """A request text: control characters → spaces, invisible format characters dropped, trimmed,
    1–`limit` characters. Raises ValueError (zh / en) otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{zh_name}应为字符串 / {field} must be a string")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError(f"{zh_name}含无效的 Unicode 字符 / {field} contains invalid Unicode (lone surrogate)")
    # control characters become spaces; invisible format characters (zero-width spaces, BOM, bidi
    # overrides) are dropped so they can neither split a name nor be echoed back into an answer
    value = "".join(" " if unicodedata.category(ch) == "Cc" and ch not in "\t\n" else ch for ch in value
                    if unicodedata.category(ch) != "Cf").strip()
    if not value:
        raise ValueError(f"{zh_name}不能为空 / {field} must not be empty")
    if len(value) > limit:
        raise ValueError(f"{zh_name}过长（最多 {limit} 字，实际 {len(value)} 字）/ "
                         f"{field} too long (at most {limit} characters, got {len(value)})")
    return value


def strict_int(value: Any, field: str) -> Any:
    """Refuse booleans and numeric strings where the contract asks for an integer."""
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError(f"{field} 应为整数 / {field} must be an integer")
    return value


def optional_text(value: Any, field: str) -> Optional[str]:
    """An optional filter text: trimmed, empty → None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} 应为字符串 / {field} must be a string")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError(f"{field} 含无效的 Unicode 字符 / {field} contains invalid Unicode")
    return value.strip() or None


def text_list(value: Any, field: str, zh_name: str, max_items: int, max_chars: int) -> Optional[list[str]]:
    """A list of request texts, each checked like `clean_text`."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"{zh_name}应为字符串列表 / {field} must be a list of strings")
    if len(value) > max_items:
        raise ValueError(f"{zh_name}最多 {max_items} 条（实际 {len(value)} 条）/ "
                         f"{field} has at most {max_items} entries (got {len(value)})")
    return [clean_text(item, f"{field}[{i}]", max_chars, f"{zh_name}第 {i + 1} 条") for i, item in enumerate(value)]


# ---------------------------------------------------------------- requests
class AskBody(BaseModel):
    """`POST /ask` request (the contract's shape with its limits)."""

    question: str = Field(..., description=f"问题，去除首尾空白后 1–{LIMITS.max_question_chars} 字",
                          examples=["汉阳区大数据中心2021年项目支出多少"])
    top_k: int = Field(5, ge=1, le=LIMITS.max_top_k, description=f"返回的引用段落数 1–{LIMITS.max_top_k}")
    report_id: Optional[str] = Field(None, max_length=200, description="只在该报告中回答")
    year: Optional[int] = Field(None, ge=1900, le=2200, description="年度过滤")
    unit: Optional[str] = Field(None, max_length=LIMITS.max_unit_chars, description="单位名称过滤，如 汉阳区大数据中心")
    history: Optional[list[str]] = Field(
        None, max_length=LIMITS.max_history,
        description=f"同一对话中较早的问题，最早的在前，最多 {LIMITS.max_history} 条，每条去除首尾空白后 "
                    f"1–{LIMITS.max_question_chars} 字 / earlier questions of the conversation, oldest first",
        examples=[["汉阳区大数据中心2021年项目支出多少"]])

    @field_validator("question", mode="before")
    @classmethod
    def _question(cls, v: Any) -> str:
        return clean_text(v, "question", LIMITS.max_question_chars, "问题")

    @field_validator("history", mode="before")
    @classmethod
    def _history(cls, v: Any) -> Optional[list[str]]:
        return text_list(v, "history", "历史问题", LIMITS.max_history, LIMITS.max_question_chars)

    @field_validator("top_k", "year", mode="before")
    @classmethod
    def _ints(cls, v: Any, info) -> Any:
        return strict_int(v, info.field_name)

    @field_validator("report_id", "unit", mode="before")
    @classmethod
    def _optional_text(cls, v: Any, info) -> Any:
        return optional_text(v, info.field_name)


class VerifyBody(BaseModel):
    claim: str = Field(..., description=f"待核对的陈述，1–{LIMITS.max_claim_chars} 字",
                       examples=["汉阳区大数据中心2021年项目支出2,399.30万元"])

    @field_validator("claim", mode="before")
    @classmethod
    def _claim(cls, v: Any) -> str:
        return clean_text(v, "claim", LIMITS.max_claim_chars, "陈述")


class ReportPatch(BaseModel):
    """`PATCH /reports/{report_id}`: the fields to correct (at least one); null drops a field's
    earlier correction, so the value read from the report applies again."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field must not silently change nothing

    unit_name: Optional[str] = Field(None, description=f"单位名称，1–{LIMITS.max_unit_chars} 字",
                                     examples=["武汉市汉阳区大数据中心"])
    region: Optional[str] = Field(None, description=f"地区，1–{LIMITS.max_region_chars} 字", examples=["汉阳区"])
    year: Optional[int] = Field(None, ge=1900, le=2100, description="决算年度")
    aliases: Optional[list[str]] = Field(
        None, max_length=LIMITS.max_aliases,
        description=f"简称，最多 {LIMITS.max_aliases} 个，每个 1–{LIMITS.max_alias_chars} 字",
        examples=[["汉阳区大数据中心"]])

    @field_validator("unit_name", mode="before")
    @classmethod
    def _unit(cls, v: Any) -> Optional[str]:
        return None if v is None else clean_text(v, "unit_name", LIMITS.max_unit_chars, "单位名称")

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, v: Any) -> Optional[str]:
        return None if v is None else clean_text(v, "region", LIMITS.max_region_chars, "地区")

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        return strict_int(v, "year")

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Optional[list[str]]:
        items = text_list(v, "aliases", "简称", LIMITS.max_aliases, LIMITS.max_alias_chars)
        return None if items is None else list(dict.fromkeys(items))

    @model_validator(mode="after")
    def _not_empty(self) -> "ReportPatch":
        if not self.model_fields_set:
            raise ValueError("请至少给出一个要修改的字段（unit_name、region、year、aliases）/ "
                             "give at least one field to change (unit_name, region, year, aliases)")
        return self

    def changes(self) -> dict:
        """The fields the request gave (None: drop that field's correction)."""
        return self.model_dump(exclude_unset=True)


# ---------------------------------------------------------------- responses
class JobAccepted(BaseModel):
    job_id: str
    status_url: str = "/index/status"
    queued: bool = Field(False, description="true when the job waits for the build that is running")


class UploadAccepted(JobAccepted):
    stored_as: str = Field(..., description="file name in the corpus (sanitised)")
    status: Literal["stored", "replaced", "unchanged"]
    size: int
    sha256: str
    report: dict = Field(default_factory=dict, description="what the parser recognised: report_id, unit, year…")
    warnings: list[str] = Field(default_factory=list)


class ReportChanged(JobAccepted):
    report_id: str
    override: dict = Field(default_factory=dict, description="the report's correction as now stored "
                                                             "(unit_name, region, year, aliases)")


class ReportRemoved(JobAccepted):
    report_id: str
    removed: str = Field(..., description="the file removed from the corpus, relative to it")


class JobInfo(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "failed"]
    reason: str = ""
    full: bool = False
    created_at: str
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    summary: Optional[dict] = None
    error: Optional[str] = None


class IndexStatus(BaseModel):
    state: Literal["idle", "running", "failed"]
    job_id: Optional[str] = Field(None, description="the running job, else the last one")
    queued_job_id: Optional[str] = None
    stage: Optional[str] = None
    done: int = 0
    total: int = 0
    progress: Optional[float] = Field(None, description="0–1 within the current stage")
    last_summary: Optional[dict] = None
    last_error: Optional[str] = None
    ready: bool
    model: Optional[str] = None
    version: Optional[str] = None
    counts: dict = Field(default_factory=dict)
    jobs: list[JobInfo] = Field(default_factory=list, description="recent jobs, newest first")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    ready: bool


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    model: Optional[str] = None
    version: Optional[str] = None
