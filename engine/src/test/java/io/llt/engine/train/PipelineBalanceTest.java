package io.llt.engine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code trainer.placement: auto}'s split of blocks into stages by measured step time. */
class PipelineBalanceTest {
  @Test
  void aHeavyFirstBlockGetsAStageOfItsOwn() {
    // even split by count would give {0,1} | {2,3}: 9 + 1 = 10 against 2
    assertThat(Pipeline.balance(new double[] {9, 1, 1, 1}, 2))
        .isDeepEqualTo(new int[][] {{0, 1}, {1, 4}});
  }

  @Test
  void theSplitMinimisesTheSlowestStage() {
    // the best contiguous 3-stage split has its slowest stage at 8 (for example 4 | 4+2+2 | 3+3);
    // 7 is out of reach: a first stage of 4 leaves 4, 2, 2, 3, 3 for two stages
    int[][] split = Pipeline.balance(new double[] {4, 4, 2, 2, 3, 3}, 3);
    double[] t = {4, 4, 2, 2, 3, 3};
    double worst = 0;
    int next = 0;
    for (int[] stage : split) {
      assertThat(stage[0]).isEqualTo(next);
      assertThat(stage[1]).isGreaterThan(stage[0]);
      double sum = 0;
      for (int i = stage[0]; i < stage[1]; i++) {
        sum += t[i];
      }
      worst = Math.max(worst, sum);
      next = stage[1];
    }
    assertThat(next).isEqualTo(6);
    assertThat(worst).isEqualTo(8.0);
  }

  @Test
  void equalBlocksSplitAsEvenlyAsTheCountSplit() {
    assertThat(Pipeline.balance(new double[] {1, 1, 1, 1}, 2))
        .isDeepEqualTo(Pipeline.partition(4, 2));
    assertThat(Pipeline.balance(new double[] {1, 1, 1}, 3))
        .isDeepEqualTo(new int[][] {{0, 1}, {1, 2}, {2, 3}});
  }

  @Test
  void moreStagesThanBlocksIsRejected() {
    assertThatThrownBy(() -> Pipeline.balance(new double[] {1, 2}, 3))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
