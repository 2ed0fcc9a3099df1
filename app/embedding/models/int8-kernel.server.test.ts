import { describe, expect, it } from "vitest";
import { sessionOptions } from "./onnx-session.server";
import { int8KernelSaturates } from "./int8-kernel.server";

const cpuinfo = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: ${flags}\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;

describe("int8KernelSaturates", () => {
  it("asks for exact arithmetic on x86-64 without VNNI, and only there", () => {
    expect(int8KernelSaturates("x64", cpuinfo("fpu sse4_2 avx avx2 fma bmi2"))).toBe(true);
    expect(int8KernelSaturates("x64", cpuinfo("fpu avx2 avx512f avx512bw avx512vl"))).toBe(true); // Skylake-X: AVX-512 without VNNI
    expect(int8KernelSaturates("x64", cpuinfo("fpu avx2 avx512f avx512_vnni avx512_bf16"))).toBe(false);
    expect(int8KernelSaturates("x64", cpuinfo("fpu avx2 avx_vnni"))).toBe(false);
    expect(int8KernelSaturates("x64", cpuinfo("fpu avx2 avx_vnni_int8"))).toBe(true); // a different flag, not AVX-VNNI
    expect(int8KernelSaturates("arm64", cpuinfo("fp asimd asimddp"))).toBe(false);
    expect(int8KernelSaturates("x64", null)).toBe(true); // unknown: exact rather than wrong
  });

  it("session options carry the decision unless told otherwise", () => {
    const auto = sessionOptions(1).extra as { session: { x64quantprecision: string } };
    expect(auto.session.x64quantprecision).toBe(int8KernelSaturates() ? "1" : "0");
    expect((sessionOptions(1, true).extra as typeof auto).session.x64quantprecision).toBe("1");
    expect((sessionOptions(1, false).extra as typeof auto).session.x64quantprecision).toBe("0");
  });
});
