"""The state machine as a graph the console draws: its edges read from the ASL, a layered
layout (top to bottom, computed here), and each state's status from the execution.

Pure functions, no AWS and no HTML: the page's template draws the ``Layout`` as inline SVG
(so that Jinja escapes every name it shows).

The layout is a small Sugiyama-style one:

1. edges from ``Next``, each ``Choices`` rule's ``Next``, ``Default`` and each ``Catch``'s
   ``Next`` (Parallel branches and Map iterators are drawn as their one state);
2. a depth-first walk from ``StartAt`` finds the edges that go back (a loop: ``StepVerdict``
   → ``WatchStep``); they are reversed for the layering, so that the rest is acyclic;
3. each state's layer is the longest path to it from the start; an edge longer than one
   layer passes through a point of each layer between (so that it bends around states
   instead of crossing them);
4. the order within each layer: barycentre sweeps down and up, keeping the order with the
   fewest crossings;
5. x: each state towards the mean of its neighbours, then pushed apart to not overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from rollout_cli.diagram import condition

NODE_HEIGHT = 34
LAYER_GAP = 30  # vertical space between two layers
NODE_GAP = 18  # horizontal space between two states
POINT_GAP = 8  # … beside a point an edge passes through
MARGIN = 16
CHAR_WIDTH = 7.2  # the page's 12px sans-serif, about
SWEEPS = 12
EDGE_KINDS = ("next", "choice", "default", "catch")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # next | choice | default | catch
    label: str  # the Choice rule's condition, "otherwise", the caught errors


@dataclass
class Node:
    name: str
    type: str
    layer: int
    x: float = 0.0  # centre
    y: float = 0.0  # top
    width: float = 0.0
    height: float = NODE_HEIGHT
    dummy: bool = False  # a point a long edge passes through, not a state

    @property
    def left(self) -> float:
        return self.x - self.width / 2


@dataclass
class Route:
    """One drawn line: every edge from ``source`` to ``target`` (a Task's ``Next`` and a
    ``Catch`` to the same state are one line, with both labels)."""

    source: str
    target: str
    kinds: tuple[str, ...]
    label: str
    points: list[tuple[float, float]] = field(default_factory=list)
    back: bool = False  # drawn upwards: the edge closes a loop

    @property
    def kind(self) -> str:
        """The line's style: a plain transition wins over a catch."""
        return next(k for k in EDGE_KINDS if k in self.kinds)

    @property
    def path(self) -> str:
        """SVG path data: vertical S-curves through the points."""
        (x0, y0), rest = self.points[0], self.points[1:]
        parts = [f"M{x0:.1f},{y0:.1f}"]
        for x1, y1 in rest:
            middle = (y0 + y1) / 2
            parts.append(f"C{x0:.1f},{middle:.1f} {x1:.1f},{middle:.1f} {x1:.1f},{y1:.1f}")
            x0, y0 = x1, y1
        return " ".join(parts)


@dataclass
class Layout:
    nodes: dict[str, Node]  # the states, in the ASL's order (no dummies)
    routes: list[Route]
    width: float
    height: float
    layers: int


def edges(definition: dict[str, Any]) -> list[Edge]:
    """Every transition of the top-level states, in the ASL's order."""
    found: list[Edge] = []
    for name, state in definition.get("States", {}).items():
        if "Next" in state:
            found.append(Edge(name, state["Next"], "next", ""))
        for rule in state.get("Choices", []):
            found.append(Edge(name, rule["Next"], "choice", condition(rule)))
        if "Default" in state:
            found.append(Edge(name, state["Default"], "default", "otherwise"))
        for catch in state.get("Catch", []):
            found.append(Edge(name, catch["Next"], "catch", ", ".join(catch["ErrorEquals"])))
    return found


def _successors(names: Iterable[str], all_edges: list[Edge]) -> dict[str, list[str]]:
    successors: dict[str, list[str]] = {n: [] for n in names}
    for edge in all_edges:
        if edge.target in successors and edge.target not in successors[edge.source]:
            successors[edge.source].append(edge.target)
    return successors


def back_edges(definition: dict[str, Any]) -> set[tuple[str, str]]:
    """(source, target) of the edges that close a loop, found walking depth-first from
    ``StartAt`` (then from any state not reached, in the ASL's order)."""
    names = list(definition.get("States", {}))
    successors = _successors(names, edges(definition))
    colour: dict[str, int] = {}  # 1 on the walk's stack, 2 done
    found: set[tuple[str, str]] = set()
    roots = [definition.get("StartAt", names[0] if names else ""), *names]
    for root in roots:
        if root not in successors or root in colour:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        colour[root] = 1
        while stack:
            name, index = stack.pop()
            if index < len(successors[name]):
                stack.append((name, index + 1))
                target = successors[name][index]
                if colour.get(target) == 1:
                    found.add((name, target))
                elif target not in colour:
                    colour[target] = 1
                    stack.append((target, 0))
            else:
                colour[name] = 2
    return found


def _layers(names: list[str], forward: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from a state nothing leads to (the edges are acyclic)."""
    incoming = {n: 0 for n in names}
    outgoing: dict[str, list[str]] = {n: [] for n in names}
    for source, target in forward:
        incoming[target] += 1
        outgoing[source].append(target)
    layer = dict.fromkeys(names, 0)
    ready = [n for n in names if incoming[n] == 0]
    while ready:
        name = ready.pop(0)
        for target in outgoing[name]:
            layer[target] = max(layer[target], layer[name] + 1)
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return layer


def _crossings(upper: list[str], lower: list[str], links: list[tuple[str, str]]) -> int:
    up = {n: i for i, n in enumerate(upper)}
    low = {n: i for i, n in enumerate(lower)}
    pairs = [(up[a], low[b]) for a, b in links if a in up and b in low]
    return sum(
        1
        for i, (a1, b1) in enumerate(pairs)
        for a2, b2 in pairs[i + 1 :]
        if (a1 - a2) * (b1 - b2) < 0
    )


def _order(
    rows: list[list[str]], links: list[tuple[str, str]]
) -> list[list[str]]:  # barycentre sweeps
    below: dict[str, list[str]] = {}
    above: dict[str, list[str]] = {}
    for a, b in links:
        below.setdefault(a, []).append(b)
        above.setdefault(b, []).append(a)

    def total(order: list[list[str]]) -> int:
        return sum(_crossings(order[i], order[i + 1], links) for i in range(len(order) - 1))

    def sweep(order: list[list[str]], downwards: bool) -> list[list[str]]:
        order = [list(r) for r in order]
        indexes = range(1, len(order)) if downwards else range(len(order) - 2, -1, -1)
        for i in indexes:
            fixed = {n: p for p, n in enumerate(order[i - 1 if downwards else i + 1])}
            neighbours = above if downwards else below

            def key(
                item: tuple[int, str],
                fixed: dict[str, int] = fixed,
                neighbours: dict[str, list[str]] = neighbours,
            ) -> float:
                position, name = item
                mine = [fixed[n] for n in neighbours.get(name, []) if n in fixed]
                return sum(mine) / len(mine) if mine else float(position)

            order[i] = [n for _, n in sorted(enumerate(order[i]), key=key)]
        return order

    best, best_crossings = rows, total(rows)
    current = rows
    for number in range(SWEEPS):
        current = sweep(current, downwards=number % 2 == 0)
        crossings = total(current)
        if crossings < best_crossings:
            best, best_crossings = current, crossings
    return best


def _place_x(rows: list[list[str]], nodes: dict[str, Node], links: list[tuple[str, str]]) -> None:
    neighbours: dict[str, list[str]] = {}
    for a, b in links:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)

    def gap(left: Node, right: Node) -> float:
        space = POINT_GAP if left.dummy or right.dummy else NODE_GAP
        return left.width / 2 + space + right.width / 2

    def pack(row: list[str]) -> None:  # keep the order, no overlap, as close as wanted
        for left, right in pairwise(row):
            a, b = nodes[left], nodes[right]
            a_min = a.x + gap(a, b)
            if b.x < a_min:
                b.x = a_min

    for row in rows:
        x = 0.0
        for name in row:
            node = nodes[name]
            node.x = x + node.width / 2
            x += node.width + NODE_GAP
    for number in range(8):
        order = rows if number % 2 == 0 else rows[::-1]
        for row in order:
            for name in row:
                others = [nodes[n].x for n in neighbours.get(name, [])]
                if others:
                    nodes[name].x = (nodes[name].x + 2 * sum(others) / len(others)) / 3
            pack(row)
    left = min(n.left for n in nodes.values())
    for node in nodes.values():
        node.x += MARGIN - left


def layout(definition: dict[str, Any]) -> Layout:
    """Every top-level state of the ASL placed, and a route for every edge between them."""
    states: dict[str, Any] = definition.get("States", {})
    names = list(states)
    all_edges = edges(definition)
    back = back_edges(definition)
    pairs: dict[tuple[str, str], list[Edge]] = {}
    for edge in all_edges:
        pairs.setdefault((edge.source, edge.target), []).append(edge)
    # the layering's edges: loops reversed, self-loops left out
    forward = sorted(
        {
            (t, s) if (s, t) in back else (s, t)
            for s, t in pairs
            if s != t and s in states and t in states
        },
        key=lambda p: (names.index(p[0]), names.index(p[1])),
    )
    layer = _layers(names, forward)
    nodes = {
        n: Node(
            name=n,
            type=str(states[n].get("Type", "?")),
            layer=layer[n],
            width=max(84.0, len(n) * CHAR_WIDTH + 24),
        )
        for n in names
    }
    # long edges pass through a point of each layer between their ends
    chains: dict[tuple[str, str], list[str]] = {}
    links: list[tuple[str, str]] = []
    for upper, lower in forward:
        chain = [upper]
        for between in range(layer[upper] + 1, layer[lower]):
            point = f"\0{upper}\0{lower}\0{between}"
            nodes[point] = Node(name=point, type="", layer=between, width=0.0, dummy=True)
            chain.append(point)
        chain.append(lower)
        links.extend(pairwise(chain))
        chains[(upper, lower)] = chain
    count = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for name in names:  # the states in the ASL's order, then the points along the edges
        rows[layer[name]].append(name)
    for name, node in nodes.items():
        if node.dummy:
            rows[node.layer].append(name)
    rows = _order(rows, links)
    _place_x(rows, nodes, links)
    for node in nodes.values():
        node.y = MARGIN + node.layer * (NODE_HEIGHT + LAYER_GAP)
    routes = []
    for (source, target), found in pairs.items():
        if source not in states or target not in states:
            continue
        kinds = tuple(dict.fromkeys(e.kind for e in found))
        label = "; ".join(e.label for e in found if e.label)
        route = Route(source, target, kinds, label, back=(source, target) in back)
        if source == target:  # a state that is its own next: a loop on its right
            node = nodes[source]
            right, top = node.x + node.width / 2, node.y
            route.points = [
                (right, top + 8),
                (right + 24, top + NODE_HEIGHT / 2),
                (right, top + NODE_HEIGHT - 8),
            ]
        else:
            chain = chains[(target, source) if route.back else (source, target)]
            route.points = _points([nodes[n] for n in chain], upwards=route.back)
        routes.append(route)
    width = max((n.x + n.width / 2 for n in nodes.values()), default=0.0) + MARGIN
    height = MARGIN * 2 + count * NODE_HEIGHT + max(count - 1, 0) * LAYER_GAP
    return Layout(
        nodes={n: nodes[n] for n in names},
        routes=routes,
        width=round(width, 1),
        height=round(height, 1),
        layers=count,
    )


def _points(chain: list[Node], *, upwards: bool) -> list[tuple[float, float]]:
    """From the bottom of the upper state through each point to the top of the lower one;
    a loop's edge the other way, from the top of the lower state to the bottom of the
    upper one."""
    first, last = chain[0], chain[-1]
    points = [(first.x, first.y + first.height)]
    points.extend((n.x, n.y + NODE_HEIGHT / 2) for n in chain[1:-1])
    points.append((last.x, last.y))
    if upwards:
        points.reverse()
    return [(round(x, 1), round(y, 1)) for x, y in points]


def statuses(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each state's status and number of runs, from ``execution_view``'s ``states``."""
    return {
        s["name"]: {
            "status": s["status"],
            "visits": s.get("visits", 0),
            "error": s.get("error"),
        }
        for s in states
    }
