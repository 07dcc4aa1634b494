# Generates OpmlNode/Crypto/Keccak256.Permute4.g.cs (Permute4: keccak-f[1600] on 4 states in Vector256 lanes, 24 rounds
# unrolled); run by tools/keccak/generate.sh. AVX2 has 16 vector registers, too few for two 25-lane states: the states
# stay in memory (s[0..25) and s[25..50), alternating by round) and only a round's C, D and one plane's B live in
# registers. AVX2 has no 64-bit rotate: rotations by 8 and 56 are one byte shuffle (vpshufb), the others a shift pair;
# chi's ~b1 & b2 is one vpandn.
from keccak_spec import RC, R, out, emit, write_file
def lane(base, x, y): return f"Unsafe.Add(ref s, {base + x + 5 * y})"
def rot(v, r):
    if r == 1: return f"Rot1({v})"
    if r == 8: return f"Rot8({v})"
    if r == 56: return f"Rot56({v})"
    return f"Rot({v}, {r})"
def rnd(i, src, dst):
    emit(f"// round {i}")
    for x in range(5):
        emit(f"c{x} = " + " ^ ".join(lane(src, x, y) for y in range(5)) + ";")
    for x in range(5):
        emit(f"d{x} = c{(x+4)%5} ^ Rot1(c{(x+1)%5});")
    for Y in range(5):
        for X in range(5):
            y = X; x = (3*(Y - 3*X)) % 5
            r = R[x][y]
            v = f"{lane(src,x,y)} ^ d{x}"
            emit(f"b{X} = " + (v if r == 0 else rot(v, r)) + ";")
        for X in range(5):
            e = f"b{X} ^ Avx2.AndNot(b{(X+1)%5}, b{(X+2)%5})"
            if X == 0 and Y == 0: e += f" ^ Vector256.Create(0x{RC[i]:016X}UL)"
            emit(f"{lane(dst,X,Y)} = {e};")
emit("Vector256<ulong> c0, c1, c2, c3, c4, d0, d1, d2, d3, d4, b0, b1, b2, b3, b4;")
for i in range(24):
    rnd(i, 0 if i % 2 == 0 else 25, 25 if i % 2 == 0 else 0)
write_file('Permute4', 'private static void Permute4(ref Vector256<ulong> s)', '/// <summary>keccak-f[1600] on 4 independent states, lane-sliced across Vector256 elements (AVX2), in s[0..25) (s[25..50) is scratch); same round structure as <see cref="Permute"/>.</summary>', ['System.Runtime.CompilerServices', 'System.Runtime.Intrinsics', 'System.Runtime.Intrinsics.X86'])
