# Generates the body of Keccak256.Permute8 (8-way Vector512) in OpmlNode/Crypto/Keccak256.Batch.cs; paste between the method braces.
RC = [0x0000000000000001,0x0000000000008082,0x800000000000808A,0x8000000080008000,
0x000000000000808B,0x0000000080000001,0x8000000080008081,0x8000000000008009,
0x000000000000008A,0x0000000000000088,0x0000000080008009,0x000000008000000A,
0x000000008000808B,0x800000000000008B,0x8000000000008089,0x8000000000008003,
0x8000000000008002,0x8000000000000080,0x000000000000800A,0x800000008000000A,
0x8000000080008081,0x8000000000008080,0x0000000080000001,0x8000000080008008]
# rotation offsets r[x][y]
R = [[0,36,3,41,18],[1,44,10,45,2],[62,6,43,15,61],[28,55,25,21,56],[27,20,39,8,14]]
YN = "bgkms"; XN = "aeiou"
def nm(p, x, y): return f"{p}{YN[y]}{XN[x]}"
out = []
ind = "        "
def emit(s): out.append(ind + s)
def rnd(i, src, dst):
    emit(f"// round {i}")
    for x in range(5):
        emit(f"c{x} = " + " ^ ".join(nm(src, x, y) for y in range(5)) + ";")
    for x in range(5):
        emit(f"d{x} = c{(x+4)%5} ^ Avx512F.RotateLeft(c{(x+1)%5}, 1);")
    for Y in range(5):
        for X in range(5):
            y = X; x = (3*(Y - 3*X)) % 5
            r = R[x][y]
            v = f"{nm(src,x,y)} ^ d{x}"
            emit(f"b{X} = " + (v if r == 0 else f"Avx512F.RotateLeft({v}, {r})") + ";")
        for X in range(5):
            e = f"Avx512F.TernaryLogic(b{X}, b{(X+1)%5}, b{(X+2)%5}, 0xD2)"
            if X == 0 and Y == 0: e += f" ^ Vector512.Create(0x{RC[i]:016X}UL)"
            emit(f"{nm(dst,X,Y)} = {e};")
lanes = [(x,y) for y in range(5) for x in range(5)]
for k,(x,y) in enumerate(lanes):
    emit(f"Vector512<ulong> {nm('a',x,y)} = " + ("s" if k == 0 else f"Unsafe.Add(ref s, {k})") + ";")
emit("Vector512<ulong> " + ", ".join(nm('e',x,y) for (x,y) in lanes) + ";")
emit("Vector512<ulong> c0, c1, c2, c3, c4, d0, d1, d2, d3, d4, b0, b1, b2, b3, b4;")
for i in range(24):
    rnd(i, 'a' if i % 2 == 0 else 'e', 'e' if i % 2 == 0 else 'a')
for k,(x,y) in enumerate(lanes):
    emit(("s" if k == 0 else f"Unsafe.Add(ref s, {k})") + f" = {nm('a',x,y)};")
print("\n".join(out))
