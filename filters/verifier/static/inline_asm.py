"""What a kernel may say in inline PTX (`tl.inline_asm_elementwise`): arithmetic on its operands, nothing else.

Honest kernels reach instructions Triton has no name for this way (triton_kernels' and FlashAttention ports'
`cvt.rn.bf16x2.f32`, `tanh.approx.f32`, `ex2.approx.f32`, `prmt.b32`, `lop3.b32`), each a function of the
operands it is given. The same string could load or store at any address (`ld.global`, `st.global`, `atom`),
read the clock or which SM it runs on (`%globaltimer`, `%clock64`, `%smid`), sleep, trap or call: state and
signals the gate's vocabulary keeps out of Python. So the assembly must be a literal, and each of its
instructions one of the register-only operations below (or, on AMD, a vector ALU `v_` instruction, which
cannot reach memory), with `.reg` declarations and braces around them; special registers (`%tid`, `%clock`,
...) are refused by name.
"""

from __future__ import annotations

import ast
import re

# PTX opcodes (the part before the first `.`) that compute from registers and immediates only.
ARITHMETIC_OPCODES = frozenset({
    "add", "sub", "mul", "mad", "mul24", "mad24", "sad", "fma", "div", "rem", "abs", "neg", "min", "max",
    "copysign", "rcp", "sqrt", "rsqrt", "sin", "cos", "lg2", "ex2", "tanh", "testp", "cvt", "mov", "and", "or",
    "xor", "not", "cnot", "shl", "shr", "shf", "prmt", "lop3", "bfe", "bfi", "brev", "popc", "clz", "bfind",
    "fns", "selp", "setp", "set", "slct", "dp4a", "dp2a",
})
# The special registers a string could read (time, placement, the launch, performance counters).
_SPECIAL_REGISTER = re.compile(r"%(?:tid|ntid|laneid|warpid|nwarpid|ctaid|nctaid|smid|nsmid|gridid|lanemask|clock|"
                               r"globaltimer|pm|envreg|total_smem|dynamic_smem|reserved_smem|aggr_smem|cluster|"
                               r"is_explicit_cluster|current_graph_exec)\w*")


def inline_asm_problem(call: ast.Call) -> str | None:
    """Why the assembly of an `inline_asm_elementwise` call is refused, or None where it only computes."""
    asm = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "asm"), None)
    text = _literal(asm)
    if text is None:
        return "hands inline_asm_elementwise assembly that is not written out, which the gate cannot read"
    special = _SPECIAL_REGISTER.search(text)
    if special:
        return f"reads the special register {special.group(0)} in inline assembly (time, placement or the launch)"
    for statement in _statements(text):
        opcode = statement.split(None, 1)[0]
        if opcode.startswith("."):
            if opcode != ".reg":
                return f"uses the PTX directive {opcode} in inline assembly"
            continue
        if opcode.split(".", 1)[0] not in ARITHMETIC_OPCODES and not opcode.startswith("v_"):
            return f"uses the PTX instruction {opcode} in inline assembly, which does more than compute on its " \
                   "operands (memory, time, control)"
    return None


def _literal(node: ast.AST | None) -> str | None:
    """A string written out: a constant, or constants joined by `+`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _statements(text: str) -> list[str]:
    """The assembly's statements, comments, braces and guard predicates (`@p`, `@!p`) taken off."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    statements = []
    for part in re.split(r"[;{}\n]", text):
        part = re.sub(r"^\s*@!?\S+\s+", "", part).strip()
        if part:
            statements.append(part)
    return statements
