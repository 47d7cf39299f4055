#!/usr/bin/python3
"""rng_ref.py — an independent Python model of lib/base/nn_rng.c (splitmix64
seeding, xoshiro256**, 53-bit uniforms, Marsaglia polar normals with
math.log).  Prints the first draws for seed 42; test_rng.c holds these
numbers as its known answers."""
import math
M = (1 << 64) - 1

def splitmix(x):
    x = (x + 0x9e3779b97f4a7c15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return x, z ^ (z >> 31)

def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M

class Rng:
    def __init__(self, seed):
        self.s, x = [], seed
        for _ in range(4):
            x, z = splitmix(x)
            self.s.append(z)
        self.spare = None
    def u64(self):
        s = self.s
        r = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return r
    def uniform(self):
        return (self.u64() >> 11) * 2.0 ** -53
    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        while True:
            u = 2 * self.uniform() - 1
            v = 2 * self.uniform() - 1
            s = u * u + v * v
            if 0 < s < 1:
                break
        f = math.sqrt(-2 * math.log(s) / s)
        self.spare = v * f
        return u * f

r = Rng(42)
print("u64", ", ".join("0x%016xull" % r.u64() for _ in range(4)))
r = Rng(42)
print("uniform", ", ".join(repr(r.uniform()) for _ in range(3)))
r = Rng(42)
print("normal", ", ".join(repr(r.normal()) for _ in range(4)))
