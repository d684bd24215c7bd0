"""Compile an event template into ONE Jinja2 template that renders a batch of events.

Each template string (the type, a metadata value, a JSON string or key of the body, a text body)
is parsed by Jinja2, checked, rewritten and spliced into one program::

    {% for _event in _events %}
      {% set _type %}…{% endset %}  {% set _m0 %}…{% endset %} …   (only the parts with expressions)
      {% set _body %}…{% endset %}
      {{ _body | _emit(_type, _m0, …) }}
    {% endfor %}

A JSON body is compiled to JSON text: literal parts are encoded here once; each expression is
wrapped in a filter that encodes its value (``_json`` for a string that is exactly one expression,
keeping the value's type; ``_jstr`` inside a string mixing text and expressions), so the output is
valid JSON whatever the values hold, and is never parsed again. Text goes through ``_text``. The
renderer (:mod:`workbench.models.event_templates`) supplies these ``_``-filters.

The checks refuse, with the template path: syntax errors (Jinja2's message), ``include``,
``import``, ``extends``, ``macro``, ``call``, ``block``, ``autoescape`` and recursive loops,
names and attributes starting with ``_``, unknown names, filters and tests, and Faker names that
are not providers. The rewrites mark call sites of ``counter``/``walk``/``cycle``, count loop steps
(``_loop``) and bound ``~`` (``_concat``).

Each field's nodes carry line numbers ``index * LINE_STRIDE + line``, so an error raised while
rendering names the field it came from (:meth:`CompiledProgram.path_at`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, Final, Literal

from jinja2 import TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.exceptions import TemplateError as JinjaError
from jinja2.visitor import NodeTransformer

from workbench.models.template_errors import TemplateError, child_path
from workbench.models.template_functions import check_provider_name, site_functions
from workbench.models.template_sandbox import SandboxRefusal, TemplateSandbox

LINE_STRIDE: Final = 1 << 20
"""Line numbers of field ``i`` in the compiled program start at ``i * LINE_STRIDE``."""
Mode = Literal["text", "string", "value"]
"""How a field's output is written: raw text; inside a JSON string; as a JSON value."""

_FORBIDDEN: Final[dict[type[nodes.Node], str]] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.Block: "block",
    nodes.EvalContextModifier: "autoescape",
}
_OUTPUT_FILTERS: Final[dict[Mode, str]] = {"text": "_text", "string": "_jstr", "value": "_json"}


def has_expressions(text: str) -> bool:
    """Whether ``text`` holds Jinja2 syntax (``{{``, ``{%`` or ``{#``) rather than plain text."""
    return "{{" in text or "{%" in text or "{#" in text


@dataclass(frozen=True)
class CompiledProgram:
    """The compiled batch program and what its line numbers mean."""

    template: Template
    paths: Sequence[str]

    def path_at(self, lineno: int) -> tuple[str, int]:
        """The template path and the line within that field of a program line number."""
        return _path_at(self.paths, lineno)


def _path_at(paths: Sequence[str], lineno: int) -> tuple[str, int]:
    index, line = divmod(lineno, LINE_STRIDE)
    return (paths[index] if 0 <= index < len(paths) else ""), line


class ProgramBuilder:
    """Builds the batch program of one template, field by field.

    Args:
        sandbox: the environment the program will run in (its globals, filters and tests are
            what the checks accept).
        locale: Faker's locale, to check ``faker.<provider>`` names.
    """

    def __init__(self, sandbox: TemplateSandbox, locale: str) -> None:
        self.sandbox = sandbox
        self.locale = locale
        self.paths: list[str] = [""]
        self._sites = 0
        self._temporaries = 0

    # -- fields ---------------------------------------------------------------------------------

    def text(self, path: str, source: str) -> list[nodes.Node]:
        """Statements writing ``source`` rendered as text."""
        stream = _Stream()
        self._field(stream, path, source, "text")
        return stream.close()

    def json(self, path: str, value: Any) -> list[nodes.Node]:
        """Statements writing the JSON value ``value``, its strings rendered as templates."""
        stream = _Stream()
        self._json_value(stream, path, value)
        return stream.close()

    def _json_value(self, stream: _Stream, path: str, value: Any) -> None:
        if isinstance(value, str):
            self._field(stream, path, value, "value")
        elif isinstance(value, dict):
            self._json_object(stream, path, value)
        elif isinstance(value, list):
            stream.text("[")
            for index, item in enumerate(value):
                if index:
                    stream.text(",")
                self._json_value(stream, child_path(path, index), item)
            stream.text("]")
        else:
            stream.text(encode_json_constant(value))

    def _json_object(self, stream: _Stream, path: str, value: dict[str, Any]) -> None:
        templated = [key for key in value if has_expressions(key)]
        names: dict[str, nodes.Expr] = {}
        for key in templated:  # render the keys first, to check they differ
            name = self._temporary()
            body = self.text(child_path(path, key), key)
            stream.statement(nodes.AssignBlock(nodes.Name(name, "store"), None, body))
            names[key] = nodes.Name(name, "load")
        if templated:
            keys = [names.get(key, nodes.Const(key)) for key in value]
            stream.expr(self._filter(nodes.Tuple(keys, "load"), "_unique_keys", path))
        stream.text("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                stream.text(",")
            if key in names:
                stream.expr(self._filter(names[key], "_jkey", path))
                stream.text(":")
            else:
                stream.text(encode_basestring(key) + ":")
            self._json_value(stream, child_path(path, key), item)
        stream.text("}")

    def _field(self, stream: _Stream, path: str, source: str, mode: Mode) -> None:
        if not has_expressions(source):
            stream.text(_literal(source, mode))
            return
        tree = self._parse(path, source)
        body = tree.body
        if mode == "value" and len(body) == 1 and isinstance(body[0], nodes.Output):
            children = body[0].nodes
            if len(children) == 1 and not isinstance(children[0], nodes.TemplateData):
                stream.expr(_output_filter(children[0], "value"))
                return
        if mode == "value":
            stream.text('"')
            self._statements(stream, body, "string")
            stream.text('"')
        else:
            self._statements(stream, body, mode)

    def _parse(self, path: str, source: str) -> nodes.Template:
        try:
            tree = self.sandbox.parse(source)
        except TemplateSyntaxError as exc:
            where = f" (line {exc.lineno})" if "\n" in source else ""
            raise TemplateError(path, f"{exc.message}{where}") from None
        try:
            _Checker(self.sandbox, self.locale).check(tree)
        except SandboxRefusal as exc:
            raise TemplateError(path, str(exc)) from None
        _Rewriter(self).visit(tree)
        base = len(self.paths) * LINE_STRIDE
        self.paths.append(path)
        for node in (tree, *tree.find_all(nodes.Node)):
            node.lineno = base + (node.lineno or 1)
        return tree

    def _statements(self, stream: _Stream, body: Iterable[nodes.Node], mode: Mode) -> None:
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if isinstance(child, nodes.TemplateData):
                        stream.text(_literal(child.data, mode))
                    else:
                        stream.expr(_output_filter(child, mode))
            else:
                _wrap_outputs(node, mode)
                stream.statement(node)

    # -- the program ----------------------------------------------------------------------------

    def program(
        self,
        body: list[nodes.Node],
        type_: list[nodes.Node] | None,
        metadata: Sequence[list[nodes.Node]],
    ) -> CompiledProgram:
        """The batch program: for each of ``_events``, capture the parts and call ``_emit``.

        Args:
            body: statements writing the event's data.
            type_: statements writing the type text, or None when the type is constant.
            metadata: statements writing each metadata value that has expressions.

        Raises:
            TemplateError: if Jinja2 refuses the program (e.g. a wrong filter argument), with the
                path of the field at fault.
        """
        captures: list[nodes.Node] = []
        arguments: list[nodes.Expr] = []
        parts = [("_type", type_)] if type_ is not None else []
        parts += [(f"_m{index}", nodes_) for index, nodes_ in enumerate(metadata)]
        for name, statements in (*parts, ("_body", body)):
            captures.append(nodes.AssignBlock(nodes.Name(name, "store"), None, statements))
            arguments.append(nodes.Name(name, "load"))
        emit = nodes.Filter(arguments[-1], "_emit", arguments[:-1], [], None, None)
        loop = nodes.For(
            nodes.Name("_event", "store"),
            nodes.Name("_events", "load"),
            [*captures, nodes.Output([emit])],
            [],
            None,
            False,
        )
        tree = nodes.Template([loop])
        tree.set_lineno(1)
        tree.set_environment(self.sandbox)
        try:
            template = self.sandbox.from_string(tree)
        except JinjaError as exc:
            lineno = getattr(exc, "lineno", None) or 0
            path, _ = _path_at(self.paths, lineno)
            raise TemplateError(path, exc.message or type(exc).__name__) from None
        return CompiledProgram(template, tuple(self.paths))

    # -- helpers --------------------------------------------------------------------------------

    def site(self) -> int:
        """A new call site number."""
        self._sites += 1
        return self._sites

    def _temporary(self) -> str:
        self._temporaries += 1
        return f"_k{self._temporaries}"

    def _filter(self, node: nodes.Expr, name: str, path: str) -> nodes.Filter:
        """``node | name`` whose errors are reported at ``path``."""
        lineno = len(self.paths) * LINE_STRIDE + 1
        self.paths.append(path)
        return nodes.Filter(node, name, [], [], None, None, lineno=lineno)


def encode_json_constant(value: Any) -> str:
    """A constant of the template's JSON (number, true, false, null) as compact JSON text."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _literal(text: str, mode: Mode) -> str:
    if mode == "text":
        return text
    encoded = encode_basestring(text)
    return encoded if mode == "value" else encoded[1:-1]


def _output_filter(node: nodes.Expr, mode: Mode) -> nodes.Filter:
    return nodes.Filter(node, _OUTPUT_FILTERS[mode], [], [], None, None, lineno=node.lineno)


def _wrap_outputs(node: nodes.Node, mode: Mode) -> None:
    """Wrap every expression written by a statement (``if``, ``for``, …) in ``mode``'s filter.

    What a ``{% set x %}…{% endset %}`` block captures stays raw text: it is encoded when written.
    """
    if isinstance(node, nodes.Output):
        node.nodes = [
            nodes.TemplateData(_literal(child.data, mode), lineno=child.lineno)
            if isinstance(child, nodes.TemplateData)
            else _output_filter(child, mode)
            for child in node.nodes
        ]
        return
    inner: Mode = "text" if isinstance(node, nodes.AssignBlock) else mode
    for child in node.iter_child_nodes():
        _wrap_outputs(child, inner)


class _Stream:
    """Statements under construction: adjacent output is merged into one ``Output`` node."""

    def __init__(self) -> None:
        self._statements: list[nodes.Node] = []
        self._children: list[nodes.Expr] = []
        self._text: list[str] = []

    def text(self, text: str) -> None:
        self._text.append(text)

    def expr(self, node: nodes.Expr) -> None:
        self._flush_text()
        self._children.append(node)

    def statement(self, node: nodes.Node) -> None:
        self._flush_output()
        self._statements.append(node)

    def close(self) -> list[nodes.Node]:
        self._flush_output()
        return self._statements

    def _flush_text(self) -> None:
        if self._text:
            self._children.append(nodes.TemplateData("".join(self._text)))
            self._text = []

    def _flush_output(self) -> None:
        self._flush_text()
        if self._children:
            self._statements.append(nodes.Output(self._children))
            self._children = []


class _Checker:
    """Refuses what templates may not do (see the module docstring)."""

    def __init__(self, sandbox: TemplateSandbox, locale: str) -> None:
        self.sandbox = sandbox
        self.locale = locale

    def check(self, tree: nodes.Template) -> None:
        stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        if any(True for _ in tree.find_all(nodes.For)):
            stored.add("loop")
        for node in tree.find_all(nodes.Node):
            self._check_node(node, stored)

    def _check_node(self, node: nodes.Node, stored: set[str]) -> None:
        for kind, tag in _FORBIDDEN.items():
            if isinstance(node, kind):
                raise SandboxRefusal(f"{{% {tag} %}} is not allowed in templates")
        if isinstance(node, nodes.For) and node.recursive:
            raise SandboxRefusal("recursive loops are not allowed in templates")
        if isinstance(node, nodes.Name):
            self._check_name(node.name, stored)
        elif isinstance(node, nodes.Getattr):
            self._check_attribute(node.node, node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            if isinstance(node.arg.value, str):
                self._check_attribute(node.node, node.arg.value)
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            self._check_filter(node)
        elif isinstance(node, nodes.Keyword) and node.key.startswith("_"):
            raise SandboxRefusal(f"argument names starting with '_' are reserved ({node.key})")

    def _check_name(self, name: str, stored: set[str]) -> None:
        if name.startswith("_"):
            raise SandboxRefusal(f"names starting with '_' are not available ({name})")
        if name not in stored and name not in self.sandbox.globals:
            known = ", ".join(sorted(self.sandbox.globals))
            raise SandboxRefusal(f"'{name}' is undefined; templates can use {known}")

    def _check_attribute(self, owner: nodes.Node, attribute: str) -> None:
        if attribute.startswith("_"):
            raise SandboxRefusal(f"attributes starting with '_' are not available ({attribute})")
        if isinstance(owner, nodes.Name) and owner.name == "faker":
            check_provider_name(attribute, self.locale)

    def _check_filter(self, node: nodes.Filter | nodes.Test) -> None:
        kind, table = ("filter", self.sandbox.filters)
        if isinstance(node, nodes.Test):
            kind, table = ("test", self.sandbox.tests)
        if node.name.startswith("_") or node.name not in table:
            known = ", ".join(sorted(n for n in table if not n.startswith("_")))
            raise SandboxRefusal(f"there is no {kind} named '{node.name}'; there are {known}")


class _Rewriter(NodeTransformer):
    """Marks call sites, counts loop steps, bounds ``~``, turns filter blocks into set blocks."""

    def __init__(self, builder: ProgramBuilder) -> None:
        self.builder = builder
        self.site_functions = site_functions()

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)
        if isinstance(node.node, nodes.Name) and node.node.name in self.site_functions:
            site = nodes.Const(self.builder.site(), lineno=node.lineno)
            node.kwargs.append(nodes.Keyword("_site", site, lineno=node.lineno))
        return node

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_loop", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.Tuple(node.nodes, "load", lineno=node.lineno)
        return nodes.Filter(parts, "_concat", [], [], None, None, lineno=node.lineno)

    def visit_FilterBlock(self, node: nodes.FilterBlock) -> list[nodes.Node]:
        self.generic_visit(node)
        name = self.builder._temporary()
        capture = nodes.AssignBlock(
            nodes.Name(name, "store"), node.filter, node.body, lineno=node.lineno
        )
        return [capture, nodes.Output([nodes.Name(name, "load", lineno=node.lineno)])]


def output_filter_names() -> frozenset[str]:
    """The ``_``-filters a compiled program calls (the renderer must supply each)."""
    return frozenset(
        {*_OUTPUT_FILTERS.values(), "_jkey", "_unique_keys", "_loop", "_concat", "_emit"}
    )
