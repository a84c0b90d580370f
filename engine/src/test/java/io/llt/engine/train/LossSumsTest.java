package io.llt.engine.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.spi.StepResult;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The epoch's loss sums: the mean loss and the mean of each named term per block. */
class LossSumsTest {
  @Test
  void meansOfTheLossAndOfEachTermPerBlock() {
    LossSums sums = new LossSums(3);
    sums.add(0, new StepResult(null, 1.0, Map.of("reconstruction", 0.25, "task", 2.0)));
    sums.add(0, new StepResult(null, 3.0, Map.of("reconstruction", 0.75, "task", 4.0)));
    sums.add(1, new StepResult(null, 5.0));

    double[] means = sums.means();
    assertThat(means[0]).isEqualTo(2.0);
    assertThat(means[1]).isEqualTo(5.0);
    assertThat(means[2]).as("a block without steps").isNaN();
    assertThat(sums.termMeans(0)).containsExactly(Map.entry("reconstruction", 0.5), Map.entry("task", 3.0));
    assertThat(sums.termMeans(1)).isEmpty();
  }

  /** Stage threads add to their own blocks at once; nothing is lost. */
  @Test
  void concurrentAddsAreAllCounted() throws InterruptedException {
    LossSums sums = new LossSums(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    for (int block = 0; block < 2; block++) {
      int b = block;
      pool.submit(
          () -> {
            for (int k = 0; k < 10_000; k++) {
              sums.add(b, new StepResult(null, b + 1.0, Map.of("t", (double) k)));
            }
          });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(sums.means()).containsExactly(1.0, 2.0);
    assertThat(sums.termMeans(1)).containsExactly(Map.entry("t", 4999.5));
  }
}
