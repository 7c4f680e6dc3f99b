"""torch.autograd (PyPI torch, in the peers virtualenv) agrees with the hand-derived loss and
gradients of tools/sae_reference.py on every step case sae_reference_driver wrote: the same
forward in float64 with the driver's selections held fixed (top-k, BatchTopK and AuxK masks;
JumpReLU's straight-through band), loss to 1e-12 and each gradient to 1e-10 relative. JumpReLU
goes through autograd Functions with the paper's estimators (Rajamanoharan et al. 2024:
∂/∂θ of z = pre·H(pre − θ) is −(θ/ε)K, of H(pre − θ) is −(1/ε)K, K the rectangle on the band). tools/sae_reference.py itself checks coact's C++
step against those gradients, so torch vouches for the reference the default suite trusts.

Usage: sae_reference_torch_peers_test.py CASES_DIR   (re-runs itself in tools/peers-venv.sh's python)
"""
import os
import pathlib
import subprocess
import sys

SOURCE = os.environ.get("COACT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
if os.environ.get("COACT_PEERS_PYTHON") is None:
    python = subprocess.run([os.path.join(SOURCE, "tools", "peers-venv.sh"), "torch"], cwd=SOURCE,
                            check=True, capture_output=True, text=True).stdout.strip()
    os.environ["COACT_PEERS_PYTHON"] = python
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])

import torch  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "tools"))
import sae_reference as ref  # noqa: E402


class JumpReLU(torch.autograd.Function):
    """z = pre·[pre > θ]; backward: [pre > θ]·g to pre, −(θ/ε)·K·g to θ (K: the band mask)."""

    @staticmethod
    def forward(ctx, pre, theta, band, eps):
        ctx.save_for_backward(pre, theta, band)
        ctx.eps = eps
        return pre * (pre > theta)

    @staticmethod
    def backward(ctx, g):
        pre, theta, band = ctx.saved_tensors
        return (pre > theta) * g, (-(theta / ctx.eps) * band * g).sum(0), None, None


class Step(torch.autograd.Function):
    """H(pre − θ); backward: nothing to pre, −(1/ε)·K·g to θ."""

    @staticmethod
    def forward(ctx, pre, theta, band, eps):
        ctx.save_for_backward(band)
        ctx.eps = eps
        return (pre > theta).to(pre.dtype)

    @staticmethod
    def backward(ctx, g):
        (band,) = ctx.saved_tensors
        return None, (-(1.0 / ctx.eps) * band * g).sum(0), None, None


def torch_gradients(cfg, p, x, fb):
    """The loss of the reference's forward through torch.autograd (float64)."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    xt = torch.tensor(x)
    enc_in = xt - t["b_dec"] if cfg["subtract_b_dec"] else xt
    pre = enc_in @ t["w_enc"] + t["b_enc"]
    if cfg["recipe"] in ("topk", "batchtopk", "matryoshka"):
        z = torch.relu(pre) * torch.tensor(fb["sel"])
        xhat = z @ t["w_dec"] + t["b_dec"]
        # topk: the FVU form (÷ batch variance); batchtopk: a mean over tokens.
        norm = ((xt - xt.mean(0)) ** 2).sum() if cfg["recipe"] == "topk" else float(len(x))
        loss = ((xhat - xt) ** 2).sum() / norm
        if cfg["recipe"] == "matryoshka":  # SAELens: + each inner level's error from its first w features
            for w in [int(float(w)) for w in str(cfg["matryoshka_widths"]).split(",")][:-1]:
                loss = loss + ((z[:, :w] @ t["w_dec"][:w] + t["b_dec"] - xt) ** 2).sum() / norm
        if "aux_inputs" in fb:
            aux_sel, resid, scale = fb["aux_inputs"]
            ehat = (torch.relu(pre) * torch.tensor(aux_sel)) @ t["w_dec"]
            loss = loss + cfg["auxk_alpha"] * scale * ((ehat - torch.tensor(resid)) ** 2).sum() / norm
    elif cfg["recipe"] == "jumprelu":
        band, eps = torch.tensor(fb["band"].astype(float)), cfg["bandwidth"]
        z = JumpReLU.apply(pre, t["threshold"], band, eps)
        xhat = z @ t["w_dec"] + t["b_dec"]
        l0 = Step.apply(pre, t["threshold"], band, eps).sum(-1).mean(0)
        loss = ((xhat - xt) ** 2).sum(-1).mean(0) + fb["l0_weight"] * l0
    else:
        z = torch.relu(pre)
        xhat = z @ t["w_dec"] + t["b_dec"]
        loss = ((xhat - xt) ** 2).sum(-1).mean(0) + cfg["l1_coeff"] * z.abs().sum()
    loss.backward()
    # A parameter the loss does not reach (batchtopk's threshold, learned outside the gradient).
    return loss.detach().item(), {k: v.grad.numpy() if v.grad is not None else v.detach().numpy() * 0 for k, v in t.items()}


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    cases = ref.case_dirs(pathlib.Path(argv[1]))
    if not cases:
        print(f"{argv[1]}: no cases", file=sys.stderr)
        return 1
    recipes = set()
    for dir_ in cases:
        cfg, p, x, since_fired = ref.case_inputs(dir_)
        fb = ref.forward_backward(cfg, p, x, since_fired)
        loss, grads = torch_gradients(cfg, p, x, fb)
        ref.check(dir_.name, "torch loss", loss, fb["loss"], tol=1e-12)
        for name in p:
            ref.check(dir_.name, f"torch gradient of {name}", grads[name], fb["grad"][name], tol=1e-10)
        recipes.add(cfg["recipe"] + (" with AuxK" if "aux_inputs" in fb else ""))
        print(f"{dir_.name}: torch {torch.__version__} autograd, loss {loss:.6g}")
    expected = {"nanda-1l", "topk with AuxK", "batchtopk with AuxK", "jumprelu", "matryoshka with AuxK"}
    if not expected <= recipes:
        ref.failures.append(f"the cases cover {sorted(recipes)}; expected {sorted(expected)}")
    if ref.failures:
        print("\n".join(["FAILED:"] + ref.failures), file=sys.stderr)
        return 1
    print(f"all {len(cases)} cases: torch.autograd agrees with the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
