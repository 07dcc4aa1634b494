# Generates OpmlNode/Crypto/Keccak256.Permute.g.cs (Permute: keccak-f[1600] with its 24 rounds unrolled); run by tools/keccak/generate.sh.
from keccak_spec import RC, R, nm, out, emit, write_file
def rnd(i, src, dst):
    emit(f"// round {i}")
    for x in range(5):
        emit(f"c{x} = " + " ^ ".join(nm(src, x, y) for y in range(5)) + ";")
    for x in range(5):
        emit(f"d{x} = c{(x+4)%5} ^ BitOperations.RotateLeft(c{(x+1)%5}, 1);")
    for Y in range(5):
        for X in range(5):
            y = X; x = (3*(Y - 3*X)) % 5
            r = R[x][y]
            v = f"{nm(src,x,y)} ^ d{x}"
            emit(f"b{X} = " + (v if r == 0 else f"BitOperations.RotateLeft({v}, {r})") + ";")
        for X in range(5):
            e = f"b{X} ^ (~b{(X+1)%5} & b{(X+2)%5})"
            if X == 0 and Y == 0: e += f" ^ 0x{RC[i]:016X}UL"
            emit(f"{nm(dst,X,Y)} = {e};")
lanes = [(x,y) for y in range(5) for x in range(5)]
for k,(x,y) in enumerate(lanes):
    emit(f"ulong {nm('a',x,y)} = " + ("s" if k == 0 else f"Unsafe.Add(ref s, {k})") + ";")
emit("ulong " + ", ".join(nm('e',x,y) for (x,y) in lanes) + ";")
emit("ulong c0, c1, c2, c3, c4, d0, d1, d2, d3, d4, b0, b1, b2, b3, b4;")
for i in range(24):
    rnd(i, 'a' if i % 2 == 0 else 'e', 'e' if i % 2 == 0 else 'a')
for k,(x,y) in enumerate(lanes):
    emit(("s" if k == 0 else f"Unsafe.Add(ref s, {k})") + f" = {nm('a',x,y)};")
write_file('Permute', 'private static void Permute(ref ulong s)', '/// <summary>keccak-f[1600] on 25 lanes at <paramref name="s"/>: 24 rounds unrolled (theta, rho+pi, chi, iota fused per row), ping-ponging between two sets of locals.</summary>', ['System.Numerics', 'System.Runtime.CompilerServices'])
