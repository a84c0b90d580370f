package io.llt.cli.progress;

import io.llt.engine.train.BlockMetrics;
import io.llt.engine.train.EpochMetrics;
import io.llt.engine.train.TrainingListener;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Shows training progress: on a terminal, a bar redrawn in place during each epoch (batches, loss
 * per block, samples/s, ETA) and a line per epoch; otherwise (logs, pipes) the line per epoch and,
 * during epochs longer than a minute, a progress line every minute.
 */
public final class ProgressListener implements TrainingListener {
  private static final int BAR = 24;
  private static final long REDRAW_NANOS = 250_000_000L;
  private static final long LOG_NANOS = 60_000_000_000L;
  private final long logNanos;

  private final PrintWriter out;
  private final boolean interactive;
  private final List<String> blockIds;
  private int epoch;
  private int totalEpochs;
  private long lastDraw;
  private long epochStart;
  private long cachingStart;
  private int lastWidth;

  /**
   * Creates the listener.
   *
   * @param out where to print
   * @param interactive true on a terminal (redraws a bar in place)
   * @param blockIds the block ids, in order
   */
  public ProgressListener(PrintWriter out, boolean interactive, List<String> blockIds) {
    this(out, interactive, blockIds, LOG_NANOS);
  }

  /** As above, with the interval of the non-interactive progress lines (tests shorten it). */
  ProgressListener(PrintWriter out, boolean interactive, List<String> blockIds, long logNanos) {
    this.logNanos = logNanos;
    this.out = out;
    this.interactive = interactive;
    this.blockIds = List.copyOf(blockIds);
  }

  @Override
  public void onEpochStart(int epoch, int totalEpochs, int batches, String activeBlock) {
    this.epoch = epoch;
    this.totalEpochs = totalEpochs;
    this.lastDraw = 0;
    this.epochStart = System.nanoTime();
  }

  @Override
  public void onBatch(int batch, int batches, double[] meanLosses, double samplesPerSecond) {
    long now = System.nanoTime();
    // a terminal also shows the full bar; logs get no line for the last batch (the epoch's follows)
    boolean last = batch >= batches;
    if (interactive ? last || due(now, epochStart) : !last && due(now, epochStart)) {
      show(progressLine(batch, batches, meanLosses, samplesPerSecond, now), now);
    }
  }

  /**
   * Whether a progress line is due: on a terminal, a redraw every {@link #REDRAW_NANOS}; in logs and
   * pipes, a line per {@link #logNanos} after {@code start} (none for short epochs or caches).
   */
  private boolean due(long now, long start) {
    return interactive
        ? now - lastDraw >= REDRAW_NANOS
        : now - Math.max(lastDraw, start) >= logNanos;
  }

  /** Redraws {@code line} in place on a terminal, or prints it as a line. */
  private void show(String line, long now) {
    lastDraw = now;
    if (interactive) {
      int pad = Math.max(0, lastWidth - line.length());
      lastWidth = line.length();
      out.print("\r" + line + " ".repeat(pad));
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Blanks the bar drawn in place, if any (terminal only). */
  private void clearBar() {
    if (interactive) {
      out.print("\r" + " ".repeat(lastWidth) + "\r");
      lastWidth = 0;
    }
  }

  /** The bar of {@code done} out of {@code total} on a terminal, nothing in logs. */
  private String bar(long done, long total) {
    if (!interactive) {
      return "";
    }
    int filled = (int) (BAR * done / total);
    return "[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] ";
  }

  private String progressLine(
      int batch, int batches, double[] meanLosses, double samplesPerSecond, long now) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "epoch %d/%d ", epoch, totalEpochs));
    sb.append(bar(batch, batches)).append(batch).append('/').append(batches).append("  loss");
    for (int i = 0; i < meanLosses.length; i++) {
      if (!Double.isNaN(meanLosses[i])) {
        sb.append(String.format(Locale.ROOT, " %s %.4f", blockIds.get(i), meanLosses[i]));
      }
    }
    double eta = (now - epochStart) / 1e9 / batch * (batches - batch);
    sb.append(String.format(Locale.ROOT, "  %.0f samples/s  ETA %s", samplesPerSecond, clock(eta)));
    return sb.toString();
  }

  private static String clock(double seconds) {
    long s = Math.max(0, Math.round(seconds));
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  @Override
  public void onCachingFeatures(String lastFrozenBlock) {
    out.println("computing the frozen outputs of blocks up to '" + lastFrozenBlock
        + "' on every split (once for this phase)");
    out.flush();
    cachingStart = System.nanoTime();
    lastDraw = 0;
  }

  /** As {@link #onBatch}: a bar on a terminal, otherwise a line a minute; cleared when done. */
  @Override
  public void onCachingProgress(long done, long total) {
    long now = System.nanoTime();
    if (done >= total) {
      clearBar();
      out.flush();
    } else if (due(now, cachingStart)) {
      show(cachingLine(done, total, now), now);
    }
  }

  private String cachingLine(long done, long total, long now) {
    StringBuilder sb = new StringBuilder("caching ").append(bar(done, total));
    double seconds = (now - cachingStart) / 1e9;
    double rate = seconds > 0 ? done / seconds : 0;
    double eta = done > 0 ? seconds / done * (total - done) : 0;
    sb.append(String.format(Locale.ROOT, "%d/%d examples  %.0f examples/s  ETA %s",
        done, total, rate, clock(eta)));
    return sb.toString();
  }

  @Override
  public void onEpochEnd(EpochMetrics m) {
    clearBar();
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "epoch %d/%d", m.epoch(), m.totalEpochs()));
    if (m.activeBlock() != null) {
      sb.append(" (block ").append(m.activeBlock()).append(')');
    }
    sb.append("  loss");
    for (BlockMetrics b : m.blocks()) {
      if (!Double.isNaN(b.loss())) {
        sb.append(String.format(Locale.ROOT, " %s %.4f", b.blockId(), b.loss()));
      }
    }
    if (m.validationAccuracy() != null) {
      sb.append(String.format(Locale.ROOT, "  val %.4f", m.validationAccuracy()));
    }
    if (!Double.isNaN(m.testAccuracy())) {
      sb.append(String.format(Locale.ROOT, "  test %.4f", m.testAccuracy()));
    } else {
      sb.append("  test -");
    }
    if (!Double.isNaN(m.samplesPerSecond())) {
      sb.append(String.format(Locale.ROOT, "  %.0f samples/s", m.samplesPerSecond()));
    }
    sb.append(String.format(Locale.ROOT, "  %.1fs", m.trainSeconds()));
    out.println(sb);
    out.flush();
  }
}
