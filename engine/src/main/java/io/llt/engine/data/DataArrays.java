package io.llt.engine.data;

import io.llt.engine.BadInputException;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Building blocks shared by the data sources: the validation hold-out, the pixel normalisation and
 * feature arrays.
 */
final class DataArrays {
  /** Mixed into the run seed so the hold-out does not share a stream with other seeded uses. */
  private static final long HOLD_OUT_SALT = 0x6c6c742d76616cL;

  private static final int CHUNK_FLOATS = 1 << 18;

  private static final Logger LOG = LoggerFactory.getLogger(DataArrays.class);

  private DataArrays() {}

  /**
   * Splits {@code 0..n-1} into kept and held-out indices with a permutation seeded by {@code seed}.
   * The first {@code heldOut} elements of the permutation are held out. Both arrays are returned
   * sorted ascending, so file order is kept within each split.
   *
   * @return {@code {kept, heldOut}}
   */
  static int[][] holdOut(int n, int heldOut, long seed) {
    if (heldOut < 0 || heldOut > n) {
      throw new IllegalArgumentException("heldOut must be in [0, " + n + "], found " + heldOut);
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed ^ HOLD_OUT_SALT);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int[] held = Arrays.copyOfRange(perm, 0, heldOut);
    int[] kept = Arrays.copyOfRange(perm, heldOut, n);
    Arrays.sort(held);
    Arrays.sort(kept);
    return new int[][] {kept, held};
  }

  /** Returns {@code 0..n-1}. */
  static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }

  /** Returns {@code values[rows[0]], values[rows[1]], ...}. */
  static int[] gather(int[] values, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = values[rows[i]];
    }
    return out;
  }

  /** Fails unless {@code dataType} is a floating-point type. */
  static void requireFloating(DataType dataType) {
    if (dataType == null || !dataType.isFPType()) {
      throw new IllegalArgumentException(
          "the feature data type must be a floating-point type, found " + dataType);
    }
  }

  /**
   * Returns the value of each pixel byte 0..255 after {@code normalization}; {@code STANDARDIZE}
   * takes its mean and standard deviation over all pixels of {@code trainRows} (scalars, over
   * every channel of a colour image).
   */
  static float[] lookupTable(
      Normalization normalization, byte[] pixels, int rowLength, int[] trainRows) {
    double scale;
    double shift;
    switch (normalization) {
      case NONE:
        scale = 1;
        shift = 0;
        break;
      case SCALE:
        scale = 1.0 / 255;
        shift = 0;
        break;
      case STANDARDIZE:
        long[] histogram = new long[256];
        for (int r : trainRows) {
          int base = r * rowLength;
          for (int c = 0; c < rowLength; c++) {
            histogram[pixels[base + c] & 0xFF]++;
          }
        }
        double count = (double) trainRows.length * rowLength;
        double sum = 0;
        for (int v = 0; v < 256; v++) {
          sum += v / 255.0 * histogram[v];
        }
        double mean = sum / count;
        double squares = 0;
        for (int v = 0; v < 256; v++) {
          double d = v / 255.0 - mean;
          squares += d * d * histogram[v];
        }
        double std = Math.sqrt(squares / count);
        if (!(std > 0)) {
          std = 1; // All training pixels are equal: centre only.
        }
        LOG.debug("standardize: mean {}, std {}", mean, std);
        scale = 1.0 / (255 * std);
        shift = -mean / std;
        break;
      default:
        throw new IllegalStateException("unknown normalization " + normalization);
    }
    float[] lut = new float[256];
    for (int v = 0; v < 256; v++) {
      lut[v] = (float) (v * scale + shift);
    }
    return lut;
  }

  /**
   * Builds a {@code [rows.length, rowLength]} C-order array of {@code dataType}, outside any
   * workspace, whose row {@code i} is row {@code rows[i]} of {@code bytes} mapped through {@code
   * lut} (indexed by the unsigned byte value).
   */
  @SuppressWarnings("try") // the workspace scope is used only for its effect
  static INDArray fromBytes(
      byte[] bytes, int rowLength, int[] rows, float[] lut, DataType dataType) {
    requireFloating(dataType);
    if (lut.length != 256) {
      throw new IllegalArgumentException("lut must have 256 entries, found " + lut.length);
    }
    int n = rows.length;
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      if (n == 0) {
        return Nd4j.create(dataType, 0, rowLength);
      }
      // Chunks are copied through a staging array with DataBuffer.setData + assign rather than
      // written to a raw NIO view of the buffer, so that backends that keep a device copy (CUDA)
      // see the data too.
      INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {n, rowLength}, 'c');
      int rowsPerChunk = Math.min(n, Math.max(1, CHUNK_FLOATS / Math.max(1, rowLength)));
      float[] chunk = new float[rowsPerChunk * rowLength];
      try (INDArray staging =
          Nd4j.createUninitialized(DataType.FLOAT, new long[] {rowsPerChunk, rowLength}, 'c')) {
        for (int r0 = 0; r0 < n; r0 += rowsPerChunk) {
          int r1 = Math.min(n, r0 + rowsPerChunk);
          int len = 0;
          for (int r = r0; r < r1; r++) {
            int src = rows[r] * rowLength;
            for (int c = 0; c < rowLength; c++) {
              chunk[len++] = lut[bytes[src + c] & 0xFF];
            }
          }
          staging.data().setData(chunk);
          INDArray part =
              r1 - r0 == rowsPerChunk
                  ? staging
                  : staging.get(NDArrayIndex.interval(0, r1 - r0), NDArrayIndex.all());
          out.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).assign(part);
        }
      } catch (RuntimeException | Error e) {
        out.close();
        throw e;
      }
      return castClosing(out, dataType);
    }
  }

  /**
   * Builds a {@code [rows.length, rowLength]} C-order array of {@code dataType}, outside any
   * workspace, whose row {@code i} is row {@code rows[i]} of {@code values}.
   */
  @SuppressWarnings("try") // the workspace scope is used only for its effect
  static INDArray fromFloats(float[] values, int rowLength, int[] rows, DataType dataType) {
    requireFloating(dataType);
    float[] gathered = new float[rows.length * rowLength];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(values, rows[i] * rowLength, gathered, i * rowLength, rowLength);
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      if (rows.length == 0) {
        return Nd4j.create(dataType, 0, rowLength);
      }
      INDArray out = Nd4j.create(gathered, new long[] {rows.length, rowLength}, 'c');
      return castClosing(out, dataType);
    }
  }

  private static INDArray castClosing(INDArray out, DataType dataType) {
    if (out.dataType() == dataType) {
      return out;
    }
    INDArray cast = out.castTo(dataType);
    out.close();
    return cast;
  }

  /**
   * Checks that {@code data.validation} leaves training examples.
   *
   * @param validation the held-out count
   * @param nTrain the training examples available (after {@code trainLimit})
   * @param trainLimit the configured limit, or null
   */
  static void checkValidation(int validation, int nTrain, Integer trainLimit) {
    if (validation >= nTrain) {
      throw new BadInputException(
          "data.validation must be less than the number of training examples ("
              + nTrain
              + (trainLimit == null ? "" : " after data.trainLimit")
              + "), found "
              + validation);
    }
  }
}
