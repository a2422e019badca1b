"""The README's "How the network learns" part agrees with the code, number for number.

The README prints a worked example (a 2-2-2 network, one training step) twice: as visible
matrices in ```math blocks and as JSON in an HTML comment beside them. These tests check that
the two agree, and that the real code (nn.network.Network, nn.activations, nn.losses,
nn.optimizers) reproduces every number to 4 decimals. They also check the README's update rules
and batch formulas against the code, that every `nn/...py: name` it cites exists, and that its
maths avoids what GitHub's renderer mishandles.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from nn import activations, losses, optimizers
from nn.network import Network

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- worked-example:"
SECTION_TITLE = "## How the network learns"

# A printed number is rounded to 4 decimals, so it may differ from the exact value by 0.00005.
TOL_PRINTED = 5e-5 + 1e-9

# Visible left-hand sides in the worked example's ```math blocks -> keys of the JSON comment.
LABELS = {
    "x": "x",
    "y": "y",
    r"\eta": "lr",
    "W^{1}": "w1",
    "b^{1}": "b1",
    "W^{2}": "w2",
    "b^{2}": "b2",
    "z^{1}": "z1",
    "a^{1}": "a1",
    "z^{2}": "z2",
    "a^{2}": "a2",
    r"\ell": "loss",
    r"\delta^{2}": "delta2",
    r"\frac{\partial \ell}{\partial W^{2}}": "dw2",
    r"\frac{\partial \ell}{\partial b^{2}}": "db2",
    r"\frac{\partial \ell}{\partial a^{1}}": "da1",
    r"\delta^{1}": "delta1",
    r"\frac{\partial \ell}{\partial W^{1}}": "dw1",
    r"\frac{\partial \ell}{\partial b^{1}}": "db1",
    r"W^{1}_{\text{new}}": "w1_new",
    r"b^{1}_{\text{new}}": "b1_new",
    r"W^{2}_{\text{new}}": "w2_new",
    r"b^{2}_{\text{new}}": "b2_new",
    r"a^{2}_{\text{new}}": "a2_new",
    r"\ell_{\text{new}}": "loss_new",
    "g": "g",
    r"g \cdot a^{2}": "g_dot_a",
    "J": "jacobian",
}


# ----- reading the README ------------------------------------------------------------------------
def readme_text() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert MARKER in text, "README.md has no worked example."
    return text


def maths_section(text: str) -> str:
    """The "How the network learns" part: from its heading to the next level-2 heading."""
    start = text.find(SECTION_TITLE)
    assert start >= 0, f"No {SECTION_TITLE!r} heading in the README."
    nxt = re.search(r"^## ", text[start + len(SECTION_TITLE):], flags=re.M)
    return text[start:] if nxt is None else text[start:start + len(SECTION_TITLE) + nxt.start()]


def examples(text: str) -> dict[str, tuple[dict, str]]:
    """{comment name: (its JSON, the text after it up to the next example comment or heading)}."""
    found = {}
    pattern = re.compile(r"<!-- (worked-example(?:-[\w-]+)?): (\{.*?\}) -->", flags=re.S)
    for m in pattern.finditer(text):
        rest = text[m.end():]
        stop = re.search(r"<!-- worked-example|^#", rest, flags=re.M)
        found[m.group(1)] = (json.loads(m.group(2)), rest if stop is None else rest[:stop.start()])
    return found


def math_blocks(text: str) -> list[str]:
    return re.findall(r"^```math\n(.*?)^```", text, flags=re.S | re.M)


def parse_bmatrix(body: str) -> np.ndarray | None:
    rows = [r for r in body.split(r"\\")]
    try:
        values = [[float(e.strip()) for e in row.split("&")] for row in rows]
    except ValueError:
        return None  # a symbolic matrix such as the Jacobian's definition
    assert len({len(r) for r in values}) == 1, f"Ragged matrix in the README: {body!r}"
    return np.array(values)


def visible_values(region: str) -> dict[str, list[np.ndarray]]:
    """Numbers shown in the region's ```math blocks: {JSON key: [value, ...]}.

    Each source line holds quantities separated by \\qquad, written "label = ... = value"; the
    value is the last bmatrix of the part, or its final number.
    """
    shown: dict[str, list[np.ndarray]] = {}
    for block in math_blocks(region):
        for line in block.splitlines():
            for part in line.split(r"\qquad"):
                part = part.strip().removesuffix(r"\\").strip().rstrip(".,").strip()
                if "=" not in part:
                    continue
                label = " ".join(part.split("=", 1)[0].replace("&", " ").split())
                mats = re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", part)
                if mats:
                    value = parse_bmatrix(mats[-1])
                    if value is None:
                        continue
                else:
                    m = re.search(r"=\s*(-?\d+(?:\.\d+)?)$", part)
                    if m is None:
                        continue
                    value = np.array(float(m.group(1)))
                assert label in LABELS, f"Unknown quantity {label!r} in the worked example: {part!r}"
                shown.setdefault(LABELS[label], []).append(value)
    return shown


def example(name: str) -> tuple[dict, dict[str, list[np.ndarray]]]:
    found = examples(readme_text())
    assert name in found, f"No <!-- {name}: {{...}} --> comment in the README."
    data, region = found[name]
    return data, visible_values(region)


# ----- the worked example, visible numbers vs the JSON comment -----------------------------------
@pytest.mark.parametrize("name", ["worked-example", "worked-example-mse"])
def test_visible_numbers_match_the_json(name):
    data, shown = example(name)
    missing = sorted(set(data) - set(shown))
    assert not missing, f"{name}: quantities in the JSON but not shown in a math block: {missing}"
    extra = sorted(set(shown) - set(data))
    assert not extra, f"{name}: quantities shown but missing from the JSON: {extra}"
    for key, values in shown.items():
        expected = np.array(data[key], dtype=float)
        for value in values:
            assert value.shape == expected.shape, f"{name}: {key} shown as {value.shape}, JSON {expected.shape}"
            assert np.allclose(value, expected, rtol=0, atol=1e-12), (
                f"{name}: {key} is shown as {value.tolist()} but the JSON says {expected.tolist()}"
            )


# ----- the worked example, recomputed by the real code ----------------------------------------------
OFF = -1e30  # bias of the 8 unused outputs: softmax gives them probability exactly 0


def embedded_network(data: dict, loss: str) -> tuple[Network, np.ndarray, np.ndarray]:
    """The README's 2-2-2 network inside a real 784-2-10 Network (float64).

    Network fixes 784 inputs and 10 outputs, so the extra pixels are 0 and the extra outputs get a
    huge negative bias; they then change nothing in the forward or backward pass.
    Returns (network, x (1, 784), y (1, 10)).
    """
    net = Network(layers=(2,), activation="relu", loss=loss, optimizer="sgd", lr=data["lr"],
                  dtype=np.float64, seed=0)
    net.params[...] = 0
    net.w[0][:2, :] = np.array(data["w1"])
    net.b[0][:] = np.ravel(data["b1"])
    net.w[1][:, :2] = np.array(data["w2"])
    net.b[1][:] = OFF
    net.b[1][:2] = np.ravel(data["b2"])
    x = np.zeros((1, 784))
    x[0, :2] = np.ravel(data["x"])
    y = np.zeros((1, 10))
    y[0, :2] = np.ravel(data["y"])
    return net, x, y


def check(name: str, printed, computed) -> None:
    printed = np.array(printed, dtype=float)
    computed = np.reshape(np.asarray(computed, dtype=float), printed.shape)
    err = np.abs(printed - computed).max()
    assert err <= TOL_PRINTED, (
        f"README prints {name} = {printed.tolist()} but the code gives {np.round(computed, 6).tolist()}"
    )


def forward(net: Network, x: np.ndarray) -> dict[str, np.ndarray]:
    a0, a1, a2 = net.forward_activations(x)
    z1 = a0 @ net.w[0] + net.b[0]
    z2 = a1 @ net.w[1] + net.b[1]
    assert np.array_equal(a2[:, 2:], np.zeros((1, 8))), "the unused outputs should get probability 0"
    np.testing.assert_allclose(activations.relu(z1), a1, atol=1e-15)
    np.testing.assert_allclose(activations.softmax(z2), a2, atol=1e-15)
    return {"z1": z1, "a1": a1, "z2": z2[:, :2], "a2": a2}


def test_worked_example_cross_entropy_matches_the_code():
    data, _ = example("worked-example")
    net, x, y = embedded_network(data, "cross_entropy")
    f = forward(net, x)
    for key in ("z1", "a1", "z2"):
        check(key, data[key], f[key])
    a2 = f["a2"]
    check("a2", data["a2"], a2[:, :2])
    check("loss", data["loss"], losses.cross_entropy(a2, y))

    delta2 = losses.cross_entropy_delta(a2, y)
    check("delta2", data["delta2"], delta2[:, :2])
    check("delta2 (= a2 - y)", data["delta2"], (a2 - y)[:, :2])
    da1 = delta2 @ net.w[1].T
    check("da1", data["da1"], da1)
    check("delta1", data["delta1"], da1 * activations.relu_prime(f["z1"]))

    dw, db = net.gradients(x, y)
    check("dw2", data["dw2"], dw[1][:, :2])
    check("db2", data["db2"], db[1][:2])
    check("delta1 (from the network)", data["delta1"], db[0])
    check("dw1", data["dw1"], dw[0][:2, :])
    check("db1", data["db1"], db[0])
    # The embedding is clean: nothing flows to the unused pixels and outputs.
    assert not dw[0][2:].any() and not dw[1][:, 2:].any() and not db[1][2:].any()

    # One SGD step, through the same path as training (integer labels, optimizer, lr).
    labels = np.array([int(np.argmax(data["y"]))])
    loss = net.train_step(x, labels)
    check("loss (from train_step)", data["loss"], loss)
    check("w1_new", data["w1_new"], net.w[0][:2, :])
    check("b1_new", data["b1_new"], net.b[0])
    check("w2_new", data["w2_new"], net.w[1][:, :2])
    check("b2_new", data["b2_new"], net.b[1][:2])
    a2_new = net.predict_proba(x)
    check("a2_new", data["a2_new"], a2_new[:, :2])
    check("loss_new", data["loss_new"], losses.cross_entropy(a2_new, y))


def test_worked_example_mse_matches_the_code():
    data, _ = example("worked-example")
    mse_data, _ = example("worked-example-mse")
    net, x, y = embedded_network(data, "mse")
    a2 = forward(net, x)["a2"]
    check("mse loss", mse_data["loss"], losses.mse(a2, y))
    g = a2 - y
    check("g", mse_data["g"], g[:, :2])
    check("g . a2", mse_data["g_dot_a"], float((g * a2).sum()))
    jac = activations.softmax_jacobian(a2)[0]
    check("jacobian", mse_data["jacobian"], jac[:2, :2])
    delta2 = losses.mse_delta(a2, y)
    check("delta2", mse_data["delta2"], delta2[:, :2])
    check("delta2 (= g J)", mse_data["delta2"], (g @ jac)[:, :2])
    check("da1", mse_data["da1"], delta2 @ net.w[1].T)

    dw, db = net.gradients(x, y)
    check("dw2", mse_data["dw2"], dw[1][:, :2])
    check("db2", mse_data["db2"], db[1][:2])
    check("delta1", mse_data["delta1"], db[0])
    check("dw1", mse_data["dw1"], dw[0][:2, :])
    check("db1", mse_data["db1"], db[0])


# ----- the README's general formulas against the code ---------------------------------------------
def random_probabilities(rng, n, k=10):
    return activations.softmax(rng.normal(size=(n, k)))


def random_one_hot(rng, n, k=10):
    return np.eye(k)[rng.integers(0, k, n)]


def test_softmax_jacobian_is_diag_a_minus_outer_a():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 10))
    a = activations.softmax(z)
    jac = activations.softmax_jacobian(a)
    for s in range(3):
        np.testing.assert_allclose(jac[s], np.diag(a[s]) - np.outer(a[s], a[s]), atol=1e-15)
        # J_ij = da_i / dz_j, by central differences
        h = 1e-6
        for j in range(10):
            dz = np.zeros(10)
            dz[j] = h
            col = (activations.softmax(z[s] + dz) - activations.softmax(z[s] - dz)) / (2 * h)
            np.testing.assert_allclose(jac[s][:, j], col, atol=1e-8)


def test_output_errors_follow_the_derivations():
    rng = np.random.default_rng(2)
    n = 4
    a, y = random_probabilities(rng, n), random_one_hot(rng, n)
    jac = activations.softmax_jacobian(a)
    # Cross-entropy: (dl/da) J with dl/da = -y/a collapses to a - y; the batch mean adds 1/n.
    through_jacobian = np.einsum("si,sij->sj", -y / a, jac) / n
    np.testing.assert_allclose(losses.cross_entropy_delta(a, y), through_jacobian, atol=1e-12)
    np.testing.assert_allclose(losses.cross_entropy_delta(a, y), (a - y) / n, atol=1e-15)
    # MSE: g J = a * (g - g.a), and the README's batch form with the two columns of ones.
    g = (a - y) / n
    ones = np.ones((10, 1))
    batch_form = a * (g - (g * a) @ ones @ ones.T)
    np.testing.assert_allclose(losses.mse_delta(a, y), np.einsum("si,sij->sj", g, jac), atol=1e-12)
    np.testing.assert_allclose(losses.mse_delta(a, y), batch_form, atol=1e-15)
    # Loss values: batch means of -sum y log a and 1/2 sum (a - y)^2.
    assert math.isclose(losses.cross_entropy(a, y), float(-(y * np.log(a)).sum(axis=1).mean()), rel_tol=1e-12)
    assert math.isclose(losses.mse(a, y), float((0.5 * ((a - y) ** 2).sum(axis=1)).mean()), rel_tol=1e-12)


def test_activation_derivatives_as_written():
    z = np.linspace(-3, 3, 13)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(activations.sigmoid_prime(z), s * (1 - s), atol=1e-15)
    np.testing.assert_allclose(activations.tanh_prime(z), 1 - np.tanh(z) ** 2, atol=1e-15)
    np.testing.assert_array_equal(activations.relu_prime(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
    for name, act in activations.ACTIVATIONS.items():
        np.testing.assert_allclose(act.derivative_from_a(act.forward(z)), act.derivative(z), atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_batch_backward_formulas_match_network_gradients(loss):
    """Delta^l = (Delta^{l+1} W^{l+1 T}) * f'(Z^l), dW = A^T Delta, db = column sums, + lambda W."""
    rng = np.random.default_rng(3)
    hidden = ("sigmoid", "tanh")
    net = Network(layers=(5, 4), activation=hidden, loss=loss, optimizer="sgd", dtype=np.float64, seed=4)
    for b in net.b:
        b[...] = rng.normal(scale=0.1, size=b.shape)
    n = 3
    x, y = rng.random((n, 784)), random_one_hot(rng, n)

    a = [x]
    z = []
    for l, (w, b) in enumerate(zip(net.w, net.b)):
        z.append(a[-1] @ w + np.ones((n, 1)) * b)  # Z^l = A^{l-1} W^l + 1 b^l
        last = l == len(net.w) - 1
        a.append(activations.softmax(z[-1]) if last else activations.get_activation(hidden[l]).forward(z[-1]))
    delta = (losses.cross_entropy_delta if loss == "cross_entropy" else losses.mse_delta)(a[-1], y)
    dw_readme, db_readme = [None] * 3, [None] * 3
    for l in (2, 1, 0):
        dw_readme[l] = a[l].T @ delta
        db_readme[l] = np.ones(n) @ delta
        if l:
            delta = (delta @ net.w[l].T) * activations.get_activation(hidden[l - 1]).derivative(z[l - 1])

    dw, db = net.gradients(x, y)
    for l in range(3):
        np.testing.assert_allclose(dw[l], dw_readme[l], atol=1e-12, err_msg=f"dW of layer {l + 1}")
        np.testing.assert_allclose(db[l], db_readme[l], atol=1e-12, err_msg=f"db of layer {l + 1}")

    lam = 0.01
    net.weight_decay = lam
    dw_decay, db_decay = net.gradients(x, y)
    for l in range(3):
        np.testing.assert_allclose(dw_decay[l], dw_readme[l] + lam * net.w[l], atol=1e-12)
        np.testing.assert_allclose(db_decay[l], db_readme[l], atol=1e-12)  # biases are not decayed


def test_update_rules_as_written():
    rng = np.random.default_rng(5)
    size, lr = 7, 0.05
    theta0 = rng.normal(size=size)
    grads = [rng.normal(size=size) for _ in range(3)]

    sgd, theta = optimizers.SGD(size, np.float64), theta0.copy()
    expected = theta0.copy()
    for g in grads:
        sgd.step(theta, g, lr)
        expected = expected - lr * g
    np.testing.assert_allclose(theta, expected, atol=1e-15)

    mom, theta = optimizers.Momentum(size, np.float64), theta0.copy()
    assert mom.momentum == 0.9
    expected, v = theta0.copy(), np.zeros(size)
    for g in grads:
        mom.step(theta, g, lr)
        v = 0.9 * v - lr * g
        expected = expected + v
    np.testing.assert_allclose(theta, expected, atol=1e-15)

    adam, theta = optimizers.Adam(size, np.float64), theta0.copy()
    assert (adam.beta1, adam.beta2, adam.eps) == (0.9, 0.999, 1e-8)
    expected, m, v, t = theta0.copy(), np.zeros(size), np.zeros(size), 0
    for g in grads:
        adam.step(theta, g, lr)
        t += 1
        m = 0.9 * m + (1 - 0.9) * g
        v = 0.999 * v + (1 - 0.999) * g * g
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        expected = expected - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    assert adam.t == t
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-15)


def test_cosine_schedule_as_written():
    lr, total = 0.01, 40
    for s in (0, 1, 10, 20, 39, 40, 45):
        written = lr / 2 * (1 + math.cos(math.pi * min(s, total) / total))
        assert math.isclose(optimizers.scheduled_lr(lr, "cosine", s, total), written, abs_tol=1e-15)
        assert optimizers.scheduled_lr(lr, "constant", s, total) == lr


# ----- the README's references to code and command-line options ------------------------------------
def cited_names(section: str) -> list[tuple[str, str]]:
    """(module, dotted name) for each `nn/mod.py: name`, and for bare `name`s later in a "Code:" paragraph."""
    cited = []
    for para in re.split(r"\n\s*\n", section):
        if para.startswith("```"):
            continue
        module = None
        in_code_sentence = False
        for m in re.finditer(r"Code:|`nn/(\w+)\.py: ([\w.]+)`|`([A-Za-z_][\w.]*)`", para):
            if m.group(0) == "Code:":
                in_code_sentence = True
            elif m.group(1):
                module = m.group(1)
                cited.append((module, m.group(2)))
            elif in_code_sentence and module and m.group(3):
                cited.append((module, m.group(3)))
    return cited


def test_cited_code_exists():
    cited = cited_names(maths_section(readme_text()))
    assert len(cited) >= 20, f"expected many code references, found {cited}"
    for module, dotted in cited:
        obj = importlib.import_module(f"nn.{module}")
        for part in dotted.split("."):
            assert hasattr(obj, part), f"The README cites nn/{module}.py: {dotted}, which does not exist."
            obj = getattr(obj, part)


def test_cited_command_line_options_exist():
    cli = ROOT / "nn" / "cli.py"
    if not cli.exists():
        pytest.skip("nn/cli.py does not exist yet")
    source = cli.read_text(encoding="utf-8")
    for flag in set(re.findall(r"`(--[a-z-]+)", maths_section(readme_text()))):
        assert f'"{flag}"' in source, f"The README mentions {flag}, which nn/cli.py does not define."


# ----- GitHub rendering hygiene -------------------------------------------------------------------
def split_fences(section: str) -> tuple[list[str], str]:
    """(contents of ```math blocks, the text with every fenced block blanked out)."""
    maths, prose, fence = [], [], None
    for line in section.splitlines():
        if fence is None and line.startswith("```"):
            fence = line[3:].strip()
            block = []
            prose.append("")
        elif fence is not None and line.strip() == "```":
            if fence == "math":
                maths.append("\n".join(block))
            fence = None
            prose.append("")
        elif fence is not None:
            block.append(line)
            prose.append("")
        else:
            prose.append(line)
    assert fence is None, "A fenced block in the maths section is never closed."
    return maths, "\n".join(prose)


def inline_maths(prose: str) -> list[str]:
    prose = re.sub(r"`[^`\n]*`", "", prose)  # code spans hold no maths
    prose = re.sub(r"<!--.*?-->", "", prose, flags=re.S)
    found = []
    for m in re.finditer(r"(?<![$\\])\$(?!\$)(.+?)(?<![$\\])\$(?!\$)", prose):
        # GitHub only sees $...$ as maths when no letter or digit is glued to the outside.
        around = prose[m.start() - 1:m.start()] + prose[m.end():m.end() + 1]
        assert not any(c.isalnum() for c in around), f"Letter or digit touching inline maths: {m.group(0)!r}"
        found.append(m.group(1))
    return found


def check_tex(tex: str) -> None:
    # An odd number of backslashes before a space is the "\ " separator (\\ is a row break).
    assert not re.search(r"(?<!\\)(\\\\)*\\ ", tex), f"'\\ ' separator in maths: {tex!r}"
    stripped = re.sub(r"\\[{}]", "", tex)
    depth = 0
    for ch in stripped:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, f"Unbalanced braces in maths: {tex!r}"
    assert depth == 0, f"Unbalanced braces in maths: {tex!r}"
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+\*?)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} without its \\begin in: {tex!r}"
    assert not stack, f"\\begin{{{stack[-1]}}} never ended in: {tex!r}"
    assert len(re.findall(r"\\left\b", tex)) == len(re.findall(r"\\right\b", tex)), tex
    for body in re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", tex, flags=re.S):
        if r"\begin" not in body:
            widths = {row.count("&") for row in body.split(r"\\")}
            assert len(widths) == 1, f"Rows of different lengths in a matrix: {body!r}"


def test_maths_renders_on_github():
    section = maths_section(readme_text())
    blocks, prose = split_fences(section)
    assert len(blocks) >= 20
    for tex in blocks:
        check_tex(tex)
    for m in re.finditer(r"\$\$(.*?)\$\$", prose, flags=re.S):
        before, after = prose[:m.start()], prose[m.end():]
        assert before == "" or before.endswith("\n\n"), f"A $$ block needs a blank line before it: {m.group(0)!r}"
        assert after == "" or after.startswith("\n\n") or after == "\n", f"A $$ block needs a blank line after it: {m.group(0)!r}"
        check_tex(m.group(1))
    inline = inline_maths(re.sub(r"\$\$.*?\$\$", "", prose, flags=re.S))
    assert len(inline) >= 50
    for tex in inline:
        check_tex(tex)
        assert tex == tex.strip(), f"Inline maths must not start or end with a space: ${tex}$"
        assert r"\\" not in tex and "*" not in tex, f"Inline maths with \\\\ or *: ${tex}$"
        # Markdown may eat a backslash before ASCII punctuation (\, \; \{ \_ ...) before MathJax runs.
        assert not re.search(r"\\[!-/:-@\[-`{-~]", tex), f"Markdown-escapable \\ in inline maths: ${tex}$"
    for line in prose.splitlines():
        if line.startswith("|"):
            for tex in inline_maths(line):
                assert "|" not in tex, f"| inside maths breaks the table: {line!r}"


def test_in_page_links_point_to_headings():
    section = maths_section(readme_text())
    slugs = set()
    for heading in re.findall(r"^#+ (.+)$", section, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        slugs.add(slug)
    for anchor in re.findall(r"\]\(#([^)]+)\)", section):
        assert anchor in slugs, f"Link to #{anchor}, but no heading has that anchor."
