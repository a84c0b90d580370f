package io.llt.engine.optim;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam with PyTorch semantics (as {@link AdamOptimizer}) for float parameters on the CPU backend:
 * the two moments live on the Java heap and the whole update is one Java loop, which the JIT
 * compiles to SIMD code. Double parameters (gradient checks, tests) keep libnd4j's op, where speed
 * does not matter.
 *
 * <p>Why: libnd4j M2.1's fused {@code adam_updater} takes about 2.7-3 ms per million float
 * parameters on one core of the development machine, as long as a 128x1000x1000 matrix product,
 * because its square root is slow (its {@code sqrt} transform alone takes about 4 ms per million
 * floats, against 0.14 ms for a subtraction). This loop takes about 0.35 ms per million on heap
 * arrays; with the gradient and parameters copied in and out of native memory in chunks, about 1 ms
 * (docs/architecture.md, "Performance notes"). Each element is computed with the same float
 * operations whatever the chunking or thread split, so the result does not depend on either.
 *
 * <p>The moments are counted as the block's optimizer state ({@link #stateLength}) like the native
 * ones, but they are Java heap, not native memory. With {@code OMP_NUM_THREADS} above one the chunks
 * run on the common fork-join pool, as libnd4j's op would on its threads; with one, on the caller.
 */
final class HostAdamOptimizer extends BaseOptimizer {
  /** Elements per chunk: the gradient and parameter chunks (2 x 64 KiB as floats) stay in L2. */
  static final int CHUNK = 16384;

  private static final ThreadLocal<float[][]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[][] {new float[CHUNK], new float[CHUNK]});

  private final OptimizerConfig config;
  private final int n;
  private final float[] m;
  private final float[] v;

  HostAdamOptimizer(OptimizerConfig config, long n) {
    super(null);
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("host Adam holds at most 2^31 - 9 parameters, got " + n);
    }
    this.config = config;
    this.n = (int) n;
    this.m = new float[this.n];
    this.v = new float[this.n];
  }

  /** Whether this implementation serves {@code n} parameters of type {@code dt} on this backend. */
  static boolean supports(long n, DataType dt) {
    return Nd4j.getEnvironment().isCPU() && n <= Integer.MAX_VALUE - 8 && dt == DataType.FLOAT;
  }

  @Override
  public void step(INDArray params, INDArray grads, double learningRate) {
    requireFlat(params, "parameters");
    requireFlat(grads, "gradients");
    t++;
    double b1 = config.beta1();
    double b2 = config.beta2();
    double wd = config.weightDecay();
    boolean decoupled = config.type() == OptimizerType.ADAMW;
    double bc2 = Math.sqrt(1 - Math.pow(b2, t));
    // p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)  ==  p -= step m / (sqrt(v) + eps')
    double stepSize = learningRate * bc2 / (1 - Math.pow(b1, t));
    double eps = config.epsilon() * bc2;
    double l2 = decoupled ? 0 : wd;
    double decay = decoupled ? 1 - learningRate * wd : 1;
    int chunks = (n + CHUNK - 1) / CHUNK;
    int threads = Math.min(chunks, Math.max(1, Nd4j.getEnvironment().maxThreads()));
    IntStream range = IntStream.range(0, threads);
    if (threads > 1) {
      range = range.parallel();
    }
    long p0 = params.offset();
    long g0 = grads.offset();
    FloatBuffer pb = params.data().asNioFloat();
    FloatBuffer gb = grads.data().asNioFloat();
    float fb1 = (float) b1;
    float fb2 = (float) b2;
    float fStep = (float) stepSize;
    float fEps = (float) eps;
    float fL2 = (float) l2;
    float fDecay = (float) decay;
    range.forEach(
        k -> {
          float[][] s = SCRATCH.get();
          for (int c = k; c < chunks; c += threads) {
            int from = c * CHUNK;
            int len = Math.min(CHUNK, n - from);
            gb.get((int) (g0 + from), s[0], 0, len);
            pb.get((int) (p0 + from), s[1], 0, len);
            update(s[0], s[1], m, v, from, len, fb1, fb2, fStep, fEps, fL2, fDecay);
            pb.put((int) (p0 + from), s[1], 0, len);
          }
        });
  }

  /**
   * One chunk: {@code g} and {@code p} hold elements {@code [from, from + len)} from index 0, the
   * moments are whole. Kept free of branches so that the JIT vectorises it.
   */
  static void update(
      float[] g, float[] p, float[] m, float[] v, int from, int len,
      float b1, float b2, float step, float eps, float l2, float decay) {
    float c1 = 1 - b1;
    float c2 = 1 - b2;
    for (int i = 0; i < len; i++) {
      float pi = p[i];
      float gi = g[i] + l2 * pi;
      float mi = b1 * m[from + i] + c1 * gi;
      float vi = b2 * v[from + i] + c2 * gi * gi;
      m[from + i] = mi;
      v[from + i] = vi;
      p[i] = pi * decay - step * mi / ((float) Math.sqrt(vi) + eps);
    }
  }

  private void requireFlat(INDArray a, String what) {
    if (a.length() != n || a.dataType() != DataType.FLOAT || a.elementWiseStride() != 1) {
      throw new IllegalArgumentException(
          "Adam over " + n + " FLOAT values got " + what + " " + a.shapeInfoToString().trim());
    }
  }

  @Override
  public long stateLength() {
    return 2L * n;
  }

  @Override
  public INDArray exportState() {
    INDArray s;
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      s = Nd4j.create(DataType.FLOAT, 1, 2L * n);
    }
    FloatBuffer b = s.data().asNioFloat();
    b.put(0, m, 0, n);
    b.put(n, v, 0, n);
    return s;
  }

  @Override
  public void importState(INDArray state) {
    if (state.length() != 2L * n) {
      throw new IllegalArgumentException(
          "Adam state of " + state.length() + " values for " + n + " parameters (needs " + 2L * n + ")");
    }
    INDArray f = state.castTo(DataType.FLOAT);
    try (INDArray c = f.dup('c')) {
      FloatBuffer b = c.data().asNioFloat();
      b.get(0, m, 0, n);
      b.get(n, v, 0, n);
    } finally {
      if (f != state) {
        f.close();
      }
    }
  }
}
