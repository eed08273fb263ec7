"""Size caps for the template sandbox: no expression may build a string beyond the value limit.

Jinja2's sandbox stops attribute escapes but not memory bombs.  A template could ask for
``"{:>2000000000}".format(x)``, ``"%2000000000s" % x``, ``x.center(2000000000)``, or double a
string with ``~`` thirty times, and Python would try to allocate gigabytes.  Each of these is
checked *before* the string is built (a prediction of its length) or, for ``~`` whose
operands are already capped, right after:

- ``str.format``/``format_map`` (the sandbox hands them out through :meth:`wrap_str_format`):
  every width or precision in a format spec, and the running length of the result;
- ``%`` (an intercepted binop) and the ``format`` filter: widths, precisions, ``*`` widths and
  the largest possible result;
- ``+`` and ``*`` on strings, lists and tuples (intercepted binops) and ``**``;
- ``~`` (compiled through :class:`CappedCodeGenerator`);
- ``center``, ``ljust``, ``rjust``, ``zfill``, ``expandtabs``, ``join``, ``replace`` and
  ``translate`` as methods, and the ``center``, ``indent``, ``join``, ``replace``, ``batch``
  and ``slice`` filters.

The limit is :data:`MAX_VALUE_LENGTH`; going past it raises
:class:`TooLarge`, which the render reports as "template output too large" (exit 3).
What these cannot see (a huge list printed whole, a block filter over a long loop) is left to
the render's memory limit (:mod:`peerkit.render_limits`).
"""
from __future__ import annotations

import functools
import re
import types
from typing import Any

from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter

MAX_VALUE_LENGTH = 1_000_000     # a template may not build a string or list longer than this


class TooLarge(SecurityError):
    """A template expression would build a value larger than the limit."""


def limit() -> int:
    return MAX_VALUE_LENGTH


def check_size(size: int) -> None:
    if size > limit():
        raise TooLarge("value too large")


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 12 else limit() + 1  # avoid int() of 5,000 digits


def check_format_spec(spec: str) -> None:
    """Every number in a ``str.format`` spec (width, precision) stays within the limit."""
    for digits in re.findall(r"\d+", spec):
        check_size(_number(digits))


_PERCENT_SPEC = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)?", re.DOTALL)


def check_percent(fmt: Any, values: Any) -> None:
    """``fmt % values``: widths, precisions and the largest possible result within the limit."""
    if not isinstance(fmt, str):
        return
    if isinstance(values, dict):
        args = list(values.values())
    elif isinstance(values, tuple):
        args = list(values)
    else:
        args = [values]
    specs = 0
    star = False
    for m in _PERCENT_SPEC.finditer(fmt):
        if m.group(4) == "%":
            continue
        specs += 1
        for part in (m.group(2), m.group(3)):
            if part == "*":
                star = True
            elif part:
                check_size(_number(part))
    if star:
        for a in args:
            if isinstance(a, int) and not isinstance(a, bool):
                check_size(abs(a))
    longest = max((len(a) for a in args if isinstance(a, (str, list, tuple, dict))), default=0)
    check_size(len(fmt) + specs * longest)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str, default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def predict_method(s: str, name: str, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Check what ``s.<name>(*args, **kwargs)`` would build; returns the (possibly
    materialised) arguments to call it with."""
    if name in ("center", "ljust", "rjust", "zfill"):
        width = _arg(args, kwargs, 0, "width", 0)
        if _is_int(width):
            check_size(width)
    elif name == "expandtabs":
        size = _arg(args, kwargs, 0, "tabsize", 8)
        if _is_int(size):
            check_size(len(s) + s.count("\t") * max(size, 0))
    elif name == "join" and args:
        items = list(args[0])
        check_size(sum(len(i) for i in items if isinstance(i, str)) + len(s) * max(len(items) - 1, 0))
        args = (items, *args[1:])
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        count = _arg(args, kwargs, 2, "count", -1)
        n = s.count(old) if old else len(s) + 1
        if _is_int(count) and count >= 0:
            n = min(n, count)
        check_size(len(s) + n * max(len(new) - len(old), 0))
    elif name == "translate" and args and isinstance(args[0], dict):
        table = args[0]
        check_size(sum(len(v) if isinstance(v, str) else 1
                       for v in (table.get(ord(c), c) for c in s)))
    return args, kwargs


SIZED_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "join", "replace",
                           "translate"})


class _CappedFormatterMixin:
    total = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_format_spec(format_spec)
        out = super().format_field(value, format_spec)  # type: ignore[misc]
        self.total += len(out)
        check_size(self.total)
        return out


class CappedFormatter(_CappedFormatterMixin, SandboxedFormatter):
    pass


class CappedEscapeFormatter(_CappedFormatterMixin, SandboxedEscapeFormatter):
    pass


def capped_str_method(env: Any, value: Any) -> Any:
    """A size-checked stand-in for a str method the sandbox hands out, or None."""
    if not isinstance(value, (types.MethodType, types.BuiltinMethodType)):
        return None
    owner = getattr(value, "__self__", None)
    name = getattr(value, "__name__", "")
    if not isinstance(owner, str):
        return None
    if name in ("format", "format_map"):
        return _capped_format(env, owner, name)
    if name in SIZED_METHODS:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = predict_method(owner, name, args, kwargs)
            return value(*args, **kwargs)

        return functools.update_wrapper(wrapper, value)
    return None


def _capped_format(env: Any, owner: str, name: str) -> Any:
    from markupsafe import Markup

    def wrapper(*args: Any, **kwargs: Any) -> str:
        if name == "format_map":
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            kwargs, args = args[0], ()
        if isinstance(owner, Markup):
            formatter: Any = CappedEscapeFormatter(env, escape=owner.escape)
        else:
            formatter = CappedFormatter(env)
        return type(owner)(formatter.vformat(owner, args, kwargs))

    return wrapper


def call_binop(operator: str, left: Any, right: Any) -> Any:
    """``*``, ``**``, ``+`` and ``%`` with their results checked before they are built."""
    if operator == "**":
        if isinstance(right, (int, float)) and abs(right) > 1000:
            raise TooLarge("exponent too large")
        return left ** right
    if operator == "%":
        check_percent(left, right)
        return left % right
    if operator == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            check_size(len(left) + len(right))
        return left + right
    if isinstance(left, (str, list, tuple)) and _is_int(right):
        check_size(len(left) * right)
    elif isinstance(right, (str, list, tuple)) and _is_int(left):
        check_size(len(right) * left)
    return left * right


def capped_concat(value: Any) -> Any:
    """The result of ``a ~ b ~ ...`` (its parts were capped, so it is at most a few times the limit)."""
    check_size(len(value))
    return value


class CappedCodeGenerator(CodeGenerator):
    """Compiles ``~`` so its result goes through ``environment.capped_concat``."""

    def visit_Concat(self, node: Any, frame: Any) -> None:
        self.write("environment.capped_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


def _filter(original: Any, check: Any) -> Any:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = check(args, kwargs)
        return original(*args, **kwargs)

    return wrapper


def _skip_ctx(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Filters marked pass_eval_context get the EvalContext first."""
    from jinja2.nodes import EvalContext

    return args[1:] if args and isinstance(args[0], EvalContext) else args


def _check_center(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    width = _arg(args, kwargs, 1, "width", 80)
    if _is_int(width):
        check_size(width)
    return args, kwargs


def _check_indent(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    text = str(args[0]) if args else ""
    width = _arg(args, kwargs, 1, "width", 4)
    step = len(width) if isinstance(width, str) else (width if _is_int(width) else 0)
    check_size(len(text) + (text.count("\n") + 1) * max(step, 0))
    return args, kwargs


def _check_join(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    rest = _skip_ctx(args)
    head = args[: len(args) - len(rest)]
    if rest:
        items = list(rest[0])
        sep = _arg(rest, kwargs, 1, "d", "")
        sep_len = len(sep) if isinstance(sep, str) else 0
        check_size(sum(len(i) for i in items if isinstance(i, str)) + sep_len * max(len(items) - 1, 0))
        args = (*head, items, *rest[1:])
    return args, kwargs


def _check_replace(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    rest = _skip_ctx(args)
    if len(rest) >= 3:
        predict_method(str(rest[0]), "replace", tuple(str(a) for a in rest[1:3]) + tuple(rest[3:4]), {})
    return args, kwargs


def _check_format(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if args:
        check_percent(str(args[0]), kwargs or tuple(args[1:]))
    return args, kwargs


def _check_count(index: int, name: str) -> Any:
    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        count = _arg(args, kwargs, index, name, 0)
        if _is_int(count):
            check_size(count)
        return args, kwargs

    return check


def cap_filters(filters: dict[str, Any]) -> None:
    """Replace the filters that can build large values with size-checked ones."""
    checks = {"center": _check_center, "indent": _check_indent, "join": _check_join,
              "replace": _check_replace, "format": _check_format,
              "batch": _check_count(1, "linecount"), "slice": _check_count(1, "slices")}
    for name, check in checks.items():
        if name in filters:
            filters[name] = _filter(filters[name], check)
