"""The API documentation at `/docs`, offline.

FastAPI's own `/docs` and `/redoc` load Swagger UI / ReDoc from a CDN; both are switched off. Here:

* when the `fastapi-offline` package is installed, `/docs` is Swagger UI with the files that
  package ships, served from `/docs/assets/<name>` (by name, from a fixed list);
* otherwise `/docs` is a self-contained HTML reference rendered here from `app.openapi()`
  (endpoints with methods, parameters, request and response schemas).

Either way the page loads nothing from another origin (its Content-Security-Policy says so too).
`/openapi.json` is the machine-readable document.
"""
from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path
from typing import Any, Optional

ASSET_PREFIX = "/docs/assets/"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# Swagger UI needs FastAPI's inline bootstrap script and sets inline styles.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
REFERENCE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                 "frame-ancestors 'none'; form-action 'none'")
SWAGGER_PARAMETERS = {"validatorUrl": None, "defaultModelsExpandDepth": 0, "tryItOutEnabled": False,
                      "displayRequestDuration": True}


def offline_assets_dir() -> Optional[Path]:
    """The directory of the Swagger UI files shipped by `fastapi-offline`, or None."""
    try:
        spec = importlib.util.find_spec("fastapi_offline")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        static = Path(location) / "static"
        if (static / "swagger-ui-bundle.js").is_file() and (static / "swagger-ui.css").is_file():
            return static
    return None


# ---------------------------------------------------------------- the self-written reference
_CSS = """
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
 color:#1d232b;background:#f5f6f8;line-height:1.55}
main{max-width:1000px;margin:0 auto;padding:1rem 1.2rem 3rem}
h1{font-size:1.5rem;margin:.4rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .6rem;border-bottom:1px solid #dde1e6}
h3{font-size:1rem;margin:0}h4{font-size:.92rem;margin:.8rem 0 .3rem;color:#66707c}
a{color:#b3261e}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.86rem}
code{background:#eef0f3;padding:0 .3em;border-radius:4px}
pre{background:#f7f8fa;border:1px solid #dde1e6;border-radius:6px;padding:.5rem .7rem;overflow-x:auto;
 white-space:pre-wrap;word-break:break-word}
.op,.schema{background:#fff;border-radius:10px;box-shadow:0 1px 2px rgba(0,0,0,.06);padding:.8rem 1rem;margin:.7rem 0}
.op-head{display:flex;flex-wrap:wrap;gap:.3rem .7rem;align-items:baseline}
.method{font-weight:700;font-size:.8rem;border-radius:4px;padding:.05em .5em;color:#fff;background:#66707c}
.m-get{background:#2b4c9a}.m-post{background:#1e7b45}.m-put,.m-patch{background:#9a6700}.m-delete{background:#b3261e}
.path{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600;word-break:break-all}
.muted{color:#66707c}.small{font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #dde1e6;vertical-align:top}
th{color:#66707c;font-weight:600}.req{color:#b3261e;font-size:.75rem}
.wrap{overflow-x:auto}ul.toc{columns:2;padding-left:1.2rem}@media(max-width:640px){ul.toc{columns:1}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: Optional[dict]) -> str:
    """A short, linked type description of a JSON schema (HTML)."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f'<a href="#schema-{_e(name)}">{_e(name)}</a>'
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [_type_of(s) for s in schema[key]]
            return (" | " if key != "allOf" else " & ").join(parts)
    if "enum" in schema:
        return " | ".join(f"<code>{_e(json.dumps(v, ensure_ascii=False))}</code>" for v in schema["enum"])
    if "const" in schema:
        return f"<code>{_e(json.dumps(schema['const'], ensure_ascii=False))}</code>"
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if isinstance(kind, list):
        return " | ".join(_e(k) for k in kind)
    if kind == "array":
        return f"array[{_type_of(schema.get('items'))}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object{{string: {_type_of(schema['additionalProperties'])}}}"
    fmt = schema.get("format")
    return _e(kind) + (f" ({_e(fmt)})" if fmt else "")


_LIMITS = (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<"),
           ("minLength", "min length "), ("maxLength", "max length "))


def _limits(schema: Optional[dict]) -> str:
    if not schema:
        return ""
    def num(v: Any) -> Any:
        return int(v) if isinstance(v, float) and v.is_integer() else v

    out = [f"{sym}{num(schema[key])}" for key, sym in _LIMITS if key in schema]
    if "default" in schema:
        out.append(f"default {json.dumps(schema['default'], ensure_ascii=False)}")
    return ", ".join(out)


def _describe(schema: Optional[dict], description: Optional[str] = None) -> str:
    text = description or (schema or {}).get("description") or ""
    limits = _limits(schema)
    examples = (schema or {}).get("examples")
    parts = [_e(text)] if text else []
    if limits:
        parts.append(f'<span class="muted small">{_e(limits)}</span>')
    if examples:
        parts.append(f'<span class="muted small">e.g. <code>{_e(json.dumps(examples[0], ensure_ascii=False))}'
                     f"</code></span>")
    return " ".join(parts)


def _properties_table(schema: dict) -> str:
    props = schema.get("properties") or {}
    if not props:
        return f"<p>{_type_of(schema)}</p>"
    required = set(schema.get("required") or ())
    rows = "".join(
        f"<tr><td><code>{_e(name)}</code>{' <span class=req>required</span>' if name in required else ''}</td>"
        f"<td>{_type_of(prop)}</td><td>{_describe(prop)}</td></tr>"
        for name, prop in props.items())
    extra = ' <p class="muted small">More fields may be added.</p>' if schema.get("additionalProperties") is True else ""
    return (f'<div class="wrap"><table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>{extra}")


def _content(content: Optional[dict], schemas: dict) -> str:
    out = []
    for media, spec in (content or {}).items():
        schema = spec.get("schema") or {}
        shown = schemas.get(_ref_name(schema["$ref"]), {}) if "$ref" in schema else schema
        body = (f"<p>{_type_of(schema)}</p>" if "$ref" in schema else "") + (
            _properties_table(shown) if "properties" in shown else ("" if "$ref" in schema else f"<p>{_type_of(schema)}</p>"))
        out.append(f'<div><span class="muted small">{_e(media)}</span>{body}</div>')
    return "".join(out)


def _anchor(method: str, path: str) -> str:
    return "op-" + method + "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in path)


def _operation(path: str, method: str, op: dict, schemas: dict) -> str:
    parts = [f'<section class="op" id="{_e(_anchor(method, path))}"><div class="op-head">'
             f'<span class="method m-{_e(method)}">{_e(method.upper())}</span>'
             f'<span class="path">{_e(path)}</span><span class="muted">{_e(op.get("summary", ""))}</span></div>']
    if op.get("description"):
        parts.append(f'<p class="small">{_e(op["description"])}</p>')
    params = op.get("parameters") or []
    if params:
        rows = "".join(
            f"<tr><td><code>{_e(p.get('name'))}</code>{' <span class=req>required</span>' if p.get('required') else ''}"
            f"</td><td>{_e(p.get('in'))}</td><td>{_type_of(p.get('schema'))}</td>"
            f"<td>{_describe(p.get('schema'), p.get('description'))}</td></tr>" for p in params)
        parts.append('<h4>Parameters</h4><div class="wrap"><table><thead><tr><th>name</th><th>in</th><th>type</th>'
                     f"<th>description</th></tr></thead><tbody>{rows}</tbody></table></div>")
    body = op.get("requestBody")
    if body:
        parts.append(f"<h4>Request body{' (required)' if body.get('required') else ''}</h4>"
                     f"{_content(body.get('content'), schemas)}")
    responses = op.get("responses") or {}
    if responses:
        rows = "".join(
            f"<tr><td><code>{_e(code)}</code></td><td>{_e(r.get('description', ''))}</td>"
            f"<td>{' '.join(_type_of((c or {}).get('schema')) for c in (r.get('content') or {}).values()) or '—'}"
            f"</td></tr>" for code, r in sorted(responses.items()))
        parts.append('<h4>Responses</h4><div class="wrap"><table><thead><tr><th>status</th><th>description</th>'
                     f"<th>body</th></tr></thead><tbody>{rows}</tbody></table></div>")
    parts.append("</section>")
    return "".join(parts)


def reference_html(spec: dict) -> str:
    """A complete, self-contained HTML page documenting an OpenAPI document (no scripts, no links out)."""
    info = spec.get("info") or {}
    ops = [(path, method, op) for path, item in (spec.get("paths") or {}).items()
           for method, op in item.items() if method in ("get", "post", "put", "patch", "delete", "head")]
    toc = "".join(f'<li><a href="#{_e(_anchor(m, p))}">'
                  f'<code>{_e(m.upper())} {_e(p)}</code></a> <span class="muted small">{_e(o.get("summary", ""))}'
                  f"</span></li>" for p, m, o in ops)
    schemas = (spec.get("components") or {}).get("schemas") or {}
    schema_html = "".join(
        f'<section class="schema" id="schema-{_e(name)}"><h3>{_e(name)}</h3>'
        f"{'<p class=small>' + _e(s['description']) + '</p>' if s.get('description') else ''}"
        f"{_properties_table(s)}</section>" for name, s in schemas.items())
    return (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(info.get('title', 'API'))} — API</title><link rel=\"icon\" href=\"data:,\">"
        f"<style>{_CSS}</style></head><body><main>"
        f"<h1>{_e(info.get('title', 'API'))} <span class=\"muted small\">API {_e(info.get('version', ''))}</span></h1>"
        f"<p>{_e(info.get('description', ''))}</p>"
        "<p class=\"small muted\">机器可读的 OpenAPI 文档 / machine-readable OpenAPI document: "
        "<a href=\"/openapi.json\"><code>/openapi.json</code></a> · <a href=\"/\">问答页面 / chat page</a></p>"
        f"<h2>Endpoints</h2><ul class=\"toc\">{toc}</ul>"
        f"{''.join(_operation(p, m, o, schemas) for p, m, o in ops)}"
        f"<h2>Schemas</h2>{schema_html}</main></body></html>")
