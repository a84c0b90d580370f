package io.llt.engine.data;

/**
 * The contents of an IDX image file of unsigned bytes (magic {@code 0x00000803}).
 *
 * <p>The pixels of image {@code i} at row {@code r} and column {@code c} are at {@code pixels[(i *
 * rows + r) * cols + c]}, as unsigned bytes (read them with {@code & 0xFF}).
 *
 * @param count the number of images
 * @param rows the number of rows of each image
 * @param cols the number of columns of each image
 * @param pixels {@code count * rows * cols} unsigned bytes, image after image, row-major
 */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {

  /** Returns the number of pixels of one image, {@code rows * cols}. */
  public int pixelsPerImage() {
    return rows * cols;
  }

  /** Returns the pixel of image {@code image} at {@code row}, {@code col}, in 0..255. */
  public int pixel(int image, int row, int col) {
    return pixels[(image * rows + row) * cols + col] & 0xFF;
  }
}
