"""The contract's error shape `{"error": {"code", "message"}}` for every failure.

`ApiError` is raised anywhere in a handler; `install_handlers` answers it, FastAPI's validation
errors, 404/405 and every other HTTP exception in that shape (a bad request is a 4xx, never a 500).
Unexpected exceptions become a generic 500 in `api.middleware.CatchAllMiddleware`.
"""
from __future__ import annotations

from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.routing import iter_route_contexts
from starlette.routing import Match


class ApiError(Exception):
    """Raised anywhere in a handler; answered as the contract's error shape."""

    def __init__(self, status: int, code: str, message: str, headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERR = {"model": ErrorResponse}  # an error entry of a route's `responses`


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: Optional[dict] = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def one_line(text: Any, limit: int = 300) -> str:
    """`text` on one line, at most `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


HTTP_CODES = {
    400: ("bad_request", "请求无效 / bad request"),
    401: ("unauthorized", "需要管理令牌 / admin token required"),
    403: ("forbidden", "禁止访问 / forbidden"),
    404: ("not_found", "未找到 / not found"),
    405: ("method_not_allowed", "不支持该请求方法 / method not allowed"),
    406: ("not_acceptable", "无法提供所请求的格式 / not acceptable"),
    409: ("conflict", "冲突 / conflict"),
    413: ("payload_too_large", "请求体过大 / request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型 / unsupported media type"),
    422: ("invalid_request", "请求参数无效 / invalid request"),
    429: ("too_many_requests", "请求过多 / too many requests"),
    503: ("unavailable", "服务暂不可用 / service unavailable"),
}

# zh / en wording of pydantic's error types (message templates use the error's ctx)
VALIDATION_TEXT = {
    "missing": ("缺少必填字段", "field required"),
    "string_type": ("应为字符串", "must be a string"),
    "int_type": ("应为整数", "must be an integer"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "float_type": ("应为数字", "must be a number"),
    "float_parsing": ("应为数字", "must be a number"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "greater_than_equal": ("不能小于 {ge}", "must be >= {ge}"),
    "greater_than": ("必须大于 {gt}", "must be > {gt}"),
    "less_than_equal": ("不能大于 {le}", "must be <= {le}"),
    "less_than": ("必须小于 {lt}", "must be < {lt}"),
    "string_too_short": ("至少 {min_length} 个字符", "must have at least {min_length} characters"),
    "string_too_long": ("最多 {max_length} 个字符", "must have at most {max_length} characters"),
    "too_long": ("最多 {max_length} 项", "must have at most {max_length} items"),
    "model_attributes_type": ("请求体应为 JSON 对象", "body must be a JSON object"),
    "model_type": ("请求体应为 JSON 对象", "body must be a JSON object"),
    "dict_type": ("应为 JSON 对象", "must be a JSON object"),
    "list_type": ("应为列表", "must be a list"),
    "literal_error": ("取值无效", "invalid value"),
    "enum": ("取值无效", "invalid value"),
    "extra_forbidden": ("不允许的字段", "unknown field"),
}


def describe_validation(errors: list[dict]) -> tuple[int, str, str]:
    """(status, code, message) for FastAPI's RequestValidationError list."""
    if any(e.get("type") == "json_invalid" for e in errors):
        e = next(e for e in errors if e.get("type") == "json_invalid")
        detail = one_line((e.get("ctx") or {}).get("error", ""), 120)
        return 400, "invalid_json", "请求体不是有效的 JSON / malformed JSON body" + (f": {detail}" if detail else "")
    if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return 400, "missing_body", "缺少 JSON 请求体 / a JSON request body is required"
    parts = [_describe_one(e) for e in errors[:3]]
    if len(errors) > 3:
        parts.append(f"…(+{len(errors) - 3})")
    return 422, "invalid_request", "; ".join(parts) or "请求参数无效 / invalid request"


def _describe_one(e: dict) -> str:
    loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
    where = ".".join(loc) or "请求体/body"
    kind = e.get("type", "")
    ctx = e.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        text = one_line(ctx["error"], 200)  # our validators already speak zh / en
    elif kind in VALIDATION_TEXT:
        zh, en = VALIDATION_TEXT[kind]
        try:
            text = f"{zh.format(**ctx)} / {en.format(**ctx)}"
        except (KeyError, IndexError):
            text = f"{zh} / {en}"
    else:
        text = f"参数无效 / invalid value ({one_line(e.get('msg', kind), 120)})"
    return f"{where}: {text}"


def install_handlers(app: FastAPI) -> None:
    """Answer ApiError, validation errors and HTTP exceptions in the contract's error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = list(exc.errors())
        ctype = request.headers.get("content-type", "")
        if (request.method in ("POST", "PUT", "PATCH") and ctype and "json" not in ctype.lower()
                and any(e.get("type") in ("model_attributes_type", "model_type") for e in errors)):
            return error_response(415, "unsupported_media_type",
                                  "请求体须为 JSON（Content-Type: application/json）/ "
                                  "the body must be JSON (Content-Type: application/json)")
        status, code, message = describe_validation(errors)
        return error_response(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return _http_error_response(request, exc)


def _http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code, default = HTTP_CODES.get(exc.status_code, ("error", "请求失败 / request failed"))
    if exc.status_code >= 500:
        code, default = "internal_error", "服务器内部错误 / internal server error"
    detail = exc.detail if isinstance(exc.detail, str) else ""
    generic = not detail or detail.lower() in default.lower() or exc.status_code >= 500
    message = default if generic else f"{default}: {one_line(detail, 200)}"
    if exc.status_code == 404:
        message = f"未找到 / not found: {one_line(request.url.path, 120)}"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:  # every method the path accepts, across all its routes
        scope = {"type": "http", "path": request.url.path, "method": request.method}
        methods = sorted({m for r in iter_route_contexts(request.app.routes) if r.methods
                          and r.matches(scope)[0] != Match.NONE for m in r.methods})
        if methods:
            headers["Allow"] = ", ".join(methods)
    return error_response(exc.status_code, code, message, headers or None)
