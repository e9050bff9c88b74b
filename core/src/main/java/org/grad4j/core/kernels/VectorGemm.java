package org.grad4j.core.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector-api implementation behind {@link Gemm#gemm}; the only class that references
 * {@code jdk.incubator.vector}, loaded only when {@link Kernels} found the module.
 *
 * <p>Two algorithms:
 * <ul>
 *   <li><b>Panels</b> (every transpose combination): the GotoBLAS/BLIS loop nest. A block of
 *       {@code MC x KC} of {@code op(A)} is packed into panels of {@code MR} rows, a block of
 *       {@code KC x NC} of {@code op(B)} into panels of {@code NR} columns stored {@code [p][j]}
 *       (read along B's rows, so the block streams in long contiguous runs), and a micro-kernel keeps
 *       an {@code MR x NR} tile of C in {@code 2*MR} vector registers: per {@code p}, two loads of B,
 *       {@code MR} broadcasts of A, {@code 2*MR} fused multiply-adds. With at most
 *       {@code DIRECT_MAX_M} rows each value of B is used once or twice, and B is read in place
 *       instead (conv forward: {@code [6 x 25] . [25 x N*OH*OW]}). The tile starts from C (accumulate,
 *       or a later KC block) or from 0, so every element of C is the fma chain
 *       {@code c = fma(a[i][p], b[p][j], c)} over {@code p = 0..k-1} in order, whatever the blocking,
 *       the tile position and the thread count.</li>
 *   <li><b>Dot</b> ({@code A . B^T} with few rows of A and long rows: the weight gradient of conv,
 *       {@code dW = dY . cols^T}, and linear's forward pass at small batch): A and B are both
 *       contiguous along {@code k}, so transposing B into panels would cost about as much as the
 *       product. Instead a {@code 4 x 4} tile of C is 16 vector accumulators of dot products along
 *       {@code k}, summed over their lanes at the end in a fixed scalar order (not
 *       {@code reduceLanes}, whose order may differ between the interpreter and compiled code).</li>
 * </ul>
 *
 * <p>Two C2 traps shape the code. A Vector API method is fast only when C2 compiles it with every
 * vector call inlined and every vector kept in a register: a method grown too large hits the
 * inlining budget, and on JDK 17 vectors carried around nested loops stay boxed; either way it runs
 * at a few GFLOP/s. And until C2 compiles it, a vector operation costs microseconds, so vector code
 * lives only in small methods called often ({@code micro8}, {@code copyNR}, ...), which get
 * compiled within milliseconds, never in the long loops of a method called a few times per product.
 * The micro-kernels address A from one index (A packed {@code [p][MR]}, or rows copied with the
 * constant stride KC): with a stride known only at run time, C2 keeps a pointer per row, runs out of
 * registers and loses a fifth of the speed.
 *
 * <p>Threads split C into blocks of whole tiles along its longer side (rows in units of MR or
 * columns in units of NR; 4x4 tiles for the dot algorithm) and never split a sum, so every rounding,
 * hence the result, is the same at any thread count.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int L = S.length();
    /** Rows of a micro-tile: 8 (16 accumulators) with the 32 vector registers of AVX-512, else 4. */
    static final int MR = S.vectorBitSize() >= 512 ? 8 : 4;
    /** Columns of a micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a packed block: a {@code KC x NR} panel of B stays in L1. */
    static final int KC = 256;
    /** Rows of A packed at once: {@code MC x KC} floats stay in L2. */
    static final int MC = 256;
    /** Columns of B packed at once: a {@code KC x NC} block stays in L2. */
    static final int NC = 512;
    /** Depth of one pass of the dot algorithm. */
    static final int KD = 1024;
    /** Tiles of the dot algorithm whose accumulators are parked at once: 256 floats each, 1 MB. */
    static final int DOT_MAX_TILES = 1024;
    /** Up to this many rows (per thread), B is read in place instead of packed. */
    static final int DIRECT_MAX_M = 16;
    /** Blocks of at most this depth are bound by the stores of C and run row panel by row panel. */
    static final int ROWS_OUTER_K = 64;
    /** {@code A . B^T} takes the dot algorithm from this depth... */
    static final int DOT_MIN_K = 256;
    /** ...up to this many rows of A (beyond, transposing B into panels pays off). */
    static final int DOT_MAX_M = 64;
    /**
     * Products below this many floating-point operations (about 15 microseconds) run on the calling
     * thread: handing work to another thread costs a few microseconds.
     */
    static final long PARALLEL_FLOPS = 1L << 21;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private VectorGemm() {
    }

    /** The preferred vector width in bits; also forces the Vector API classes to load. */
    static int vectorBits() {
        return S.vectorBitSize();
    }

    /** {@link Gemm#gemm} after its checks: {@code m, n, k > 0}, arrays long enough, c distinct. */
    static void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, float[] c, boolean acc) {
        if (tb && !ta && useDot(m, n, k)) {
            gemmDot(m, n, k, a, b, c, acc);
        } else {
            gemmPanels(ta, tb, m, n, k, a, b, c, acc);
        }
    }

    /** The dot algorithm is written for AVX-512 (24 of its 32 registers); elsewhere panels serve. */
    static boolean useDot(int m, int n, int k) {
        return MR == 8 && k >= DOT_MIN_K && m <= DOT_MAX_M;
    }

    /** The panel algorithm for any transposes, split over threads by whole tiles along C's longer side. */
    static void gemmPanels(boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, float[] c, boolean acc) {
        if (!parallel(m, n, k)) {
            panels(ta, tb, m, n, k, a, b, c, acc, 0, m, 0, n);
        } else if (m > n) {
            Parallel.forRange((m + MR - 1) / MR,
                    (u0, u1) -> panels(ta, tb, m, n, k, a, b, c, acc, u0 * MR, Math.min(m, u1 * MR), 0, n));
        } else {
            Parallel.forRange((n + NR - 1) / NR,
                    (u0, u1) -> panels(ta, tb, m, n, k, a, b, c, acc, 0, m, u0 * NR, Math.min(n, u1 * NR)));
        }
    }

    /** {@code C (+)= A . B^T} with A {@code [m, k]} and B {@code [n, k]}, in 4x4 tiles split over threads. */
    static void gemmDot(int m, int n, int k, float[] a, float[] b, float[] c, boolean acc) {
        int ti = (m + 3) / 4;
        int tj = (n + 3) / 4;
        if (!parallel(m, n, k)) {
            dotTiles(m, n, k, a, b, c, acc, 0, ti, 0, tj);
        } else if (ti > tj) {
            Parallel.forRange(ti, (t0, t1) -> dotTiles(m, n, k, a, b, c, acc, t0, t1, 0, tj));
        } else {
            Parallel.forRange(tj, (t0, t1) -> dotTiles(m, n, k, a, b, c, acc, 0, ti, t0, t1));
        }
    }

    private static boolean parallel(int m, int n, int k) {
        return 2.0 * m * n * k >= PARALLEL_FLOPS && Kernels.threads() > 1;
    }

    // ---------------------------------------------------------------- panels

    /** {@code C[i0:i1, j0:j1]}; {@code i0} a multiple of MR, {@code j0} of NR. */
    private static void panels(boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, float[] c,
                               boolean acc, int i0, int i1, int j0, int j1) {
        Buffers buf = BUFFERS.get();
        float[] ap = buf.ap;
        float[] bp = buf.bp;
        // With few rows each value of B is used once or twice: read B in place, packing would only add a copy.
        boolean direct = !tb && i1 - i0 <= DIRECT_MAX_M;
        // A transposed is packed [p][MR] (a copy of MR adjacent floats per p); A row-major is copied
        // row by row with the constant stride KC (arraycopy, no transposition). Either way the
        // micro-kernel addresses A from one register: with a row stride that is only known at run
        // time, C2 keeps one pointer per row and runs out of registers.
        boolean pp = ta && MR == 8 && !direct;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean load = acc || pc > 0;
            for (int ic = i0; ic < i1; ic += MC) {
                int mc = Math.min(MC, i1 - ic);
                packA(ta, pp, a, m, k, ic, mc, pc, kc, ap);
                for (int jc = j0; jc < j1; jc += NC) {
                    int nc = Math.min(NC, j1 - jc);
                    if (!direct) {
                        packB(tb, b, n, k, pc, kc, jc, nc, bp);
                    }
                    if (kc <= ROWS_OUTER_K) {
                        // A short product is bound by the stores of C: finish rows of C one panel at a time.
                        for (int ir = 0; ir < mc; ir += MR) {
                            for (int jr = 0; jr < nc; jr += NR) {
                                tile(pp, direct, kc, ap, b, n, pc, bp, c, ic, ir, mc, jc, jr, nc, load, buf);
                            }
                        }
                    } else {
                        // Else keep the KC x NR panel of B in L1 while the panels of A pass under it.
                        for (int jr = 0; jr < nc; jr += NR) {
                            for (int ir = 0; ir < mc; ir += MR) {
                                tile(pp, direct, kc, ap, b, n, pc, bp, c, ic, ir, mc, jc, jr, nc, load, buf);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The MR x NR tile of C at rows {@code ic+ir}, columns {@code jc+jr}. */
    private static void tile(boolean pp, boolean direct, int kc, float[] ap, float[] b, int n, int pc, float[] bp,
                             float[] c, int ic, int ir, int mc, int jc, int jr, int nc, boolean load, Buffers buf) {
        int mr = Math.min(MR, mc - ir);
        int nr = Math.min(NR, nc - jr);
        int co = (ic + ir) * n + jc + jr;
        int ao = ir * KC;
        if (direct && nr == NR) {
            if (MR == 8) {
                micro8s(kc, ap, ao, b, pc * n + jc + jr, n, c, co, n, mr, load);
            } else {
                micro4s(kc, ap, ao, b, pc * n + jc + jr, n, c, co, n, mr, load);
            }
            return;
        }
        float[] bb = bp;
        int bo = jr * kc;
        if (direct) {
            bb = buf.edgeB;
            bo = 0;
            packB(false, b, n, 0, pc, kc, jc + jr, nr, bb);
        }
        if (nr == NR) {
            micro(pp, kc, ap, ao, bb, bo, c, co, n, mr, load);
            return;
        }
        // Narrower than NR: run the kernel on a scratch tile that holds C's part of the tile.
        float[] t = buf.tile;
        Arrays.fill(t, 0f);
        if (load) {
            for (int r = 0; r < mr; r++) {
                System.arraycopy(c, co + r * n, t, r * NR, nr);
            }
        }
        micro(pp, kc, ap, ao, bb, bo, t, 0, NR, mr, true);
        for (int r = 0; r < mr; r++) {
            System.arraycopy(t, r * NR, c, co + r * n, nr);
        }
    }

    private static void micro(boolean pp, int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                              int mr, boolean load) {
        if (MR == 8) {
            if (pp) {
                micro8p(kc, ap, ao, bp, bo, c, co, ldc, mr, load);
            } else {
                micro8(kc, ap, ao, bp, bo, c, co, ldc, mr, load);
            }
        } else {
            micro4s(kc, ap, ao, bp, bo, NR, c, co, ldc, mr, load);
        }
    }

    /**
     * Packs {@code op(A)[ic:ic+mc, pc:pc+kc]} in panels of MR rows, panel {@code t} at {@code t*MR*KC}:
     * laid out {@code [p][MR]} when {@code pp}, else as MR rows {@code KC} apart; rows past
     * {@code mc} are zero (computed, never stored).
     */
    private static void packA(boolean ta, boolean pp, float[] a, int m, int k, int ic, int mc, int pc, int kc,
                              float[] ap) {
        if (pp) {
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                int base = ir * KC;
                for (int p = 0; p < kc; p++) {
                    int src = (pc + p) * m + ic + ir;
                    int dst = base + p * MR;
                    for (int r = 0; r < mr; r++) {
                        ap[dst + r] = a[src + r];
                    }
                    for (int r = mr; r < MR; r++) {
                        ap[dst + r] = 0f;
                    }
                }
            }
        } else {
            if (!ta) {
                for (int r = 0; r < mc; r++) {
                    System.arraycopy(a, (ic + r) * k + pc, ap, r * KC, kc);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = (pc + p) * m + ic;
                    for (int r = 0; r < mc; r++) {
                        ap[r * KC + p] = a[src + r];
                    }
                }
            }
            for (int r = mc; r % MR != 0; r++) {
                Arrays.fill(ap, r * KC, r * KC + kc, 0f);
            }
        }
    }

    /**
     * Copies NR floats. A method of its own so that it is compiled after a few hundred calls: a
     * method that runs vector operations in long loops but is called rarely stays interpreted for a
     * long time, at microseconds per vector operation.
     */
    private static void copyNR(float[] src, int from, float[] dst, int to) {
        FloatVector.fromArray(S, src, from).intoArray(dst, to);
        FloatVector.fromArray(S, src, from + L).intoArray(dst, to + L);
    }

    /**
     * Packs {@code op(B)[pc:pc+kc, jc:jc+nc]} in panels of NR columns, panel {@code t} at
     * {@code t*NR*kc} laid out {@code [p][NR]}; columns past {@code nc} in the last panel are zero.
     * B is read along its rows, so a block streams through the cache in long contiguous runs.
     */
    private static void packB(boolean tb, float[] b, int n, int k, int pc, int kc, int jc, int nc, float[] bp) {
        int full = nc - nc % NR;
        if (!tb) {
            for (int p = 0; p < kc; p++) {
                int src = (pc + p) * n + jc;
                for (int jr = 0; jr < full; jr += NR) {
                    copyNR(b, src + jr, bp, jr * kc + p * NR);
                }
                if (full < nc) {
                    System.arraycopy(b, src + full, bp, full * kc + p * NR, nc - full);
                }
            }
        } else {
            for (int j = 0; j < nc; j++) {
                int src = (jc + j) * k + pc;
                int dst = (j - j % NR) * kc + j % NR;
                for (int p = 0; p < kc; p++) {
                    bp[dst + p * NR] = b[src + p];
                }
            }
        }
        if (full < nc) {
            int w = nc - full;
            for (int p = 0; p < kc; p++) {
                int dst = full * kc + p * NR;
                Arrays.fill(bp, dst + w, dst + NR, 0f);
            }
        }
    }

    /**
     * The micro-kernel: {@code C[r][0:NR] (+)= sum_p A[r][p] * B[p][0:NR]} for the first {@code mr}
     * of 8 rows (the others are computed and dropped); A rows {@code KC} apart from {@code ao}, B
     * packed {@code [kc][NR]} from {@code bo}, C rows {@code ldc} apart from {@code co}; starts from C
     * when {@code load}, else from 0. Per {@code p}: 2 loads, 8 broadcasts, 16 fma, one index.
     */
    private static void micro8(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, int mr,
            boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        if (load) {
            c00 = FloatVector.fromArray(S, c, o0);
            c01 = FloatVector.fromArray(S, c, o0 + L);
            if (mr > 1) {
                c10 = FloatVector.fromArray(S, c, o1);
                c11 = FloatVector.fromArray(S, c, o1 + L);
            }
            if (mr > 2) {
                c20 = FloatVector.fromArray(S, c, o2);
                c21 = FloatVector.fromArray(S, c, o2 + L);
            }
            if (mr > 3) {
                c30 = FloatVector.fromArray(S, c, o3);
                c31 = FloatVector.fromArray(S, c, o3 + L);
            }
            if (mr > 4) {
                c40 = FloatVector.fromArray(S, c, o4);
                c41 = FloatVector.fromArray(S, c, o4 + L);
            }
            if (mr > 5) {
                c50 = FloatVector.fromArray(S, c, o5);
                c51 = FloatVector.fromArray(S, c, o5 + L);
            }
            if (mr > 6) {
                c60 = FloatVector.fromArray(S, c, o6);
                c61 = FloatVector.fromArray(S, c, o6 + L);
            }
            if (mr > 7) {
                c70 = FloatVector.fromArray(S, c, o7);
                c71 = FloatVector.fromArray(S, c, o7 + L);
            }
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo + p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + p * NR + L);
            int q = ao + p;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q + KC]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q + 2 * KC]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q + 3 * KC]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[q + 4 * KC]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[q + 5 * KC]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[q + 6 * KC]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[q + 7 * KC]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        if (mr > 1) {
            c10.intoArray(c, o1);
            c11.intoArray(c, o1 + L);
        }
        if (mr > 2) {
            c20.intoArray(c, o2);
            c21.intoArray(c, o2 + L);
        }
        if (mr > 3) {
            c30.intoArray(c, o3);
            c31.intoArray(c, o3 + L);
        }
        if (mr > 4) {
            c40.intoArray(c, o4);
            c41.intoArray(c, o4 + L);
        }
        if (mr > 5) {
            c50.intoArray(c, o5);
            c51.intoArray(c, o5 + L);
        }
        if (mr > 6) {
            c60.intoArray(c, o6);
            c61.intoArray(c, o6 + L);
        }
        if (mr > 7) {
            c70.intoArray(c, o7);
            c71.intoArray(c, o7 + L);
        }
    }

    /**
     * {@link #micro8} with B read in place, rows {@code bs} apart from {@code bo}.
     */
    private static void micro8s(int kc, float[] a, int ao, float[] b, int bo, int bs, float[] c, int co, int ldc, int mr,
            boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        if (load) {
            c00 = FloatVector.fromArray(S, c, o0);
            c01 = FloatVector.fromArray(S, c, o0 + L);
            if (mr > 1) {
                c10 = FloatVector.fromArray(S, c, o1);
                c11 = FloatVector.fromArray(S, c, o1 + L);
            }
            if (mr > 2) {
                c20 = FloatVector.fromArray(S, c, o2);
                c21 = FloatVector.fromArray(S, c, o2 + L);
            }
            if (mr > 3) {
                c30 = FloatVector.fromArray(S, c, o3);
                c31 = FloatVector.fromArray(S, c, o3 + L);
            }
            if (mr > 4) {
                c40 = FloatVector.fromArray(S, c, o4);
                c41 = FloatVector.fromArray(S, c, o4 + L);
            }
            if (mr > 5) {
                c50 = FloatVector.fromArray(S, c, o5);
                c51 = FloatVector.fromArray(S, c, o5 + L);
            }
            if (mr > 6) {
                c60 = FloatVector.fromArray(S, c, o6);
                c61 = FloatVector.fromArray(S, c, o6 + L);
            }
            if (mr > 7) {
                c70 = FloatVector.fromArray(S, c, o7);
                c71 = FloatVector.fromArray(S, c, o7 + L);
            }
        }
        for (int p = 0; p < kc; p++, bo += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            int q = ao + p;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q + KC]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q + 2 * KC]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q + 3 * KC]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[q + 4 * KC]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[q + 5 * KC]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[q + 6 * KC]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[q + 7 * KC]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        if (mr > 1) {
            c10.intoArray(c, o1);
            c11.intoArray(c, o1 + L);
        }
        if (mr > 2) {
            c20.intoArray(c, o2);
            c21.intoArray(c, o2 + L);
        }
        if (mr > 3) {
            c30.intoArray(c, o3);
            c31.intoArray(c, o3 + L);
        }
        if (mr > 4) {
            c40.intoArray(c, o4);
            c41.intoArray(c, o4 + L);
        }
        if (mr > 5) {
            c50.intoArray(c, o5);
            c51.intoArray(c, o5 + L);
        }
        if (mr > 6) {
            c60.intoArray(c, o6);
            c61.intoArray(c, o6 + L);
        }
        if (mr > 7) {
            c70.intoArray(c, o7);
            c71.intoArray(c, o7 + L);
        }
    }

    /**
     * {@link #micro8} with A packed {@code [kc][8]} from {@code ao}.
     */
    private static void micro8p(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, int mr,
            boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        if (load) {
            c00 = FloatVector.fromArray(S, c, o0);
            c01 = FloatVector.fromArray(S, c, o0 + L);
            if (mr > 1) {
                c10 = FloatVector.fromArray(S, c, o1);
                c11 = FloatVector.fromArray(S, c, o1 + L);
            }
            if (mr > 2) {
                c20 = FloatVector.fromArray(S, c, o2);
                c21 = FloatVector.fromArray(S, c, o2 + L);
            }
            if (mr > 3) {
                c30 = FloatVector.fromArray(S, c, o3);
                c31 = FloatVector.fromArray(S, c, o3 + L);
            }
            if (mr > 4) {
                c40 = FloatVector.fromArray(S, c, o4);
                c41 = FloatVector.fromArray(S, c, o4 + L);
            }
            if (mr > 5) {
                c50 = FloatVector.fromArray(S, c, o5);
                c51 = FloatVector.fromArray(S, c, o5 + L);
            }
            if (mr > 6) {
                c60 = FloatVector.fromArray(S, c, o6);
                c61 = FloatVector.fromArray(S, c, o6 + L);
            }
            if (mr > 7) {
                c70 = FloatVector.fromArray(S, c, o7);
                c71 = FloatVector.fromArray(S, c, o7 + L);
            }
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo + p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + p * NR + L);
            int q = ao + p * 8;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[q + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[q + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[q + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[q + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        if (mr > 1) {
            c10.intoArray(c, o1);
            c11.intoArray(c, o1 + L);
        }
        if (mr > 2) {
            c20.intoArray(c, o2);
            c21.intoArray(c, o2 + L);
        }
        if (mr > 3) {
            c30.intoArray(c, o3);
            c31.intoArray(c, o3 + L);
        }
        if (mr > 4) {
            c40.intoArray(c, o4);
            c41.intoArray(c, o4 + L);
        }
        if (mr > 5) {
            c50.intoArray(c, o5);
            c51.intoArray(c, o5 + L);
        }
        if (mr > 6) {
            c60.intoArray(c, o6);
            c61.intoArray(c, o6 + L);
        }
        if (mr > 7) {
            c70.intoArray(c, o7);
            c71.intoArray(c, o7 + L);
        }
    }

    /**
     * {@link #micro8s} for 4 rows, for machines with 16 vector registers (AVX2, NEON); serves packed B
     * too, with {@code bs = NR}.
     */
    private static void micro4s(int kc, float[] a, int ao, float[] b, int bo, int bs, float[] c, int co, int ldc, int mr,
            boolean load) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        if (load) {
            c00 = FloatVector.fromArray(S, c, o0);
            c01 = FloatVector.fromArray(S, c, o0 + L);
            if (mr > 1) {
                c10 = FloatVector.fromArray(S, c, o1);
                c11 = FloatVector.fromArray(S, c, o1 + L);
            }
            if (mr > 2) {
                c20 = FloatVector.fromArray(S, c, o2);
                c21 = FloatVector.fromArray(S, c, o2 + L);
            }
            if (mr > 3) {
                c30 = FloatVector.fromArray(S, c, o3);
                c31 = FloatVector.fromArray(S, c, o3 + L);
            }
        }
        for (int p = 0; p < kc; p++, bo += bs) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            int q = ao + p;
            FloatVector x = FloatVector.broadcast(S, a[q]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[q + KC]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[q + 2 * KC]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[q + 3 * KC]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        if (mr > 1) {
            c10.intoArray(c, o1);
            c11.intoArray(c, o1 + L);
        }
        if (mr > 2) {
            c20.intoArray(c, o2);
            c21.intoArray(c, o2 + L);
        }
        if (mr > 3) {
            c30.intoArray(c, o3);
            c31.intoArray(c, o3 + L);
        }
    }

    // ---------------------------------------------------------------- dot

    /**
     * Tiles {@code [ti0, ti1) x [tj0, tj1)} of 4x4, rows past the edge repeating the last row
     * (computed, not stored), so one kernel serves every tile. The vector part {@code [0, kv)} runs in
     * passes of KD over all tiles, the four rows of the operand with more tiles outermost (they stream
     * in once and stay in L1 while the other operand's pass, in L2, goes under them). Each tile's 16
     * accumulators are parked in a per-thread buffer between passes (bit-exact, so the passes do not
     * change the result); at the end each is summed over its lanes in a fixed order and the
     * {@code k % L} tail added by scalar fma.
     */
    private static void dotTiles(int m, int n, int k, float[] a, float[] b, float[] c, boolean acc,
                                 int ti0, int ti1, int tj0, int tj1) {
        int ni = ti1 - ti0;
        int nj = tj1 - tj0;
        if (ni * nj > DOT_MAX_TILES) {
            // Bound the parked accumulators: groups of tiles along the longer side, one after the other.
            if (nj >= ni) {
                int g = Math.max(1, DOT_MAX_TILES / ni);
                for (int t = tj0; t < tj1; t += g) {
                    dotTiles(m, n, k, a, b, c, acc, ti0, ti1, t, Math.min(tj1, t + g));
                }
            } else {
                int g = Math.max(1, DOT_MAX_TILES / nj);
                for (int t = ti0; t < ti1; t += g) {
                    dotTiles(m, n, k, a, b, c, acc, t, Math.min(ti1, t + g), tj0, tj1);
                }
            }
            return;
        }
        float[] sums = BUFFERS.get().acc(ni * nj * 16 * L);
        int kv = k - k % L;
        for (int kb = 0; kb < kv; kb += KD) {
            int len = Math.min(kv - kb, KD);
            if (nj >= ni) {
                for (int tj = tj0; tj < tj1; tj++) {
                    for (int ti = ti0; ti < ti1; ti++) {
                        dotTile(m, n, k, a, b, ti, tj, kb, len, sums, ((ti - ti0) * nj + tj - tj0) * 16 * L);
                    }
                }
            } else {
                for (int ti = ti0; ti < ti1; ti++) {
                    for (int tj = tj0; tj < tj1; tj++) {
                        dotTile(m, n, k, a, b, ti, tj, kb, len, sums, ((ti - ti0) * nj + tj - tj0) * 16 * L);
                    }
                }
            }
        }
        for (int ti = ti0; ti < ti1; ti++) {
            for (int tj = tj0; tj < tj1; tj++) {
                int t = (ti - ti0) * nj + tj - tj0;
                int i = ti * 4;
                int j = tj * 4;
                for (int r = 0; r < 4 && i + r < m; r++) {
                    for (int s = 0; s < 4 && j + s < n; s++) {
                        float v = 0f;
                        if (kv > 0) {
                            int o = (t * 16 + r * 4 + s) * L;
                            for (int l = 0; l < L; l++) {
                                v += sums[o + l];
                            }
                        }
                        int ao = (i + r) * k;
                        int bo = (j + s) * k;
                        for (int p = kv; p < k; p++) {
                            v = Math.fma(a[ao + p], b[bo + p], v);
                        }
                        int ci = (i + r) * n + j + s;
                        c[ci] = acc ? c[ci] + v : v;
                    }
                }
            }
        }
    }

    /** Tile {@code (ti, tj)} over {@code [kb, kb + len)}. */
    private static void dotTile(int m, int n, int k, float[] a, float[] b, int ti, int tj, int kb, int len,
                                float[] sums, int o) {
        int i = ti * 4;
        int j = tj * 4;
        dot4x4(a, i * k + kb, Math.min(i + 1, m - 1) * k + kb, Math.min(i + 2, m - 1) * k + kb,
                Math.min(i + 3, m - 1) * k + kb, b, j * k + kb, Math.min(j + 1, n - 1) * k + kb,
                Math.min(j + 2, n - 1) * k + kb, Math.min(j + 3, n - 1) * k + kb, len, sums, o, kb == 0);
    }

    /**
     * Adds {@code A[r][p] * B[s][p]} over {@code p < len} lane-wise into the 16 accumulators of a tile,
     * stored {@code [r*4+s][lane]} at {@code o} (from zero when {@code first}); A rows start at
     * {@code a0..a3}, B rows at {@code b0..b3}; {@code len} is a multiple of L. Per vector of
     * {@code p}: 8 loads, 16 fma. (Copying the rows to a constant stride frees registers and speeds
     * this kernel up in L1, but these products are bound by memory, where the copy costs as much.)
     */
    private static void dot4x4(float[] a, int a0, int a1, int a2, int a3, float[] b, int b0, int b1, int b2, int b3,
                               int len, float[] sums, int o, boolean first) {
        FloatVector z = FloatVector.zero(S);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
        FloatVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        if (!first) {
            s00 = FloatVector.fromArray(S, sums, o);
            s01 = FloatVector.fromArray(S, sums, o + L);
            s02 = FloatVector.fromArray(S, sums, o + 2 * L);
            s03 = FloatVector.fromArray(S, sums, o + 3 * L);
            s10 = FloatVector.fromArray(S, sums, o + 4 * L);
            s11 = FloatVector.fromArray(S, sums, o + 5 * L);
            s12 = FloatVector.fromArray(S, sums, o + 6 * L);
            s13 = FloatVector.fromArray(S, sums, o + 7 * L);
            s20 = FloatVector.fromArray(S, sums, o + 8 * L);
            s21 = FloatVector.fromArray(S, sums, o + 9 * L);
            s22 = FloatVector.fromArray(S, sums, o + 10 * L);
            s23 = FloatVector.fromArray(S, sums, o + 11 * L);
            s30 = FloatVector.fromArray(S, sums, o + 12 * L);
            s31 = FloatVector.fromArray(S, sums, o + 13 * L);
            s32 = FloatVector.fromArray(S, sums, o + 14 * L);
            s33 = FloatVector.fromArray(S, sums, o + 15 * L);
        }
        for (int p = 0; p < len; p += L) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector x2 = FloatVector.fromArray(S, a, a2 + p);
            FloatVector x3 = FloatVector.fromArray(S, a, a3 + p);
            FloatVector y = FloatVector.fromArray(S, b, b0 + p);
            s00 = x0.fma(y, s00);
            s10 = x1.fma(y, s10);
            s20 = x2.fma(y, s20);
            s30 = x3.fma(y, s30);
            y = FloatVector.fromArray(S, b, b1 + p);
            s01 = x0.fma(y, s01);
            s11 = x1.fma(y, s11);
            s21 = x2.fma(y, s21);
            s31 = x3.fma(y, s31);
            y = FloatVector.fromArray(S, b, b2 + p);
            s02 = x0.fma(y, s02);
            s12 = x1.fma(y, s12);
            s22 = x2.fma(y, s22);
            s32 = x3.fma(y, s32);
            y = FloatVector.fromArray(S, b, b3 + p);
            s03 = x0.fma(y, s03);
            s13 = x1.fma(y, s13);
            s23 = x2.fma(y, s23);
            s33 = x3.fma(y, s33);
        }
        s00.intoArray(sums, o);
        s01.intoArray(sums, o + L);
        s02.intoArray(sums, o + 2 * L);
        s03.intoArray(sums, o + 3 * L);
        s10.intoArray(sums, o + 4 * L);
        s11.intoArray(sums, o + 5 * L);
        s12.intoArray(sums, o + 6 * L);
        s13.intoArray(sums, o + 7 * L);
        s20.intoArray(sums, o + 8 * L);
        s21.intoArray(sums, o + 9 * L);
        s22.intoArray(sums, o + 10 * L);
        s23.intoArray(sums, o + 11 * L);
        s30.intoArray(sums, o + 12 * L);
        s31.intoArray(sums, o + 13 * L);
        s32.intoArray(sums, o + 14 * L);
        s33.intoArray(sums, o + 15 * L);
    }

    /** Per-thread packing buffers, allocated once per thread (the dot buffers grow on demand). */
    private static final class Buffers {
        final float[] ap = new float[MC * KC];
        final float[] bp = new float[KC * ((NC + NR - 1) / NR) * NR];
        final float[] edgeB = new float[KC * NR];
        final float[] tile = new float[MR * NR];
        private float[] acc = new float[0];

        float[] acc(int size) {
            if (acc.length < size) {
                acc = null;
                acc = new float[size];
            }
            return acc;
        }
    }
}
