/**
 * Data for grad4j: strict IDX reading ({@link org.grad4j.data.Idx}), Fashion-MNIST found on disk or
 * downloaded and verified ({@link org.grad4j.data.FashionMnist}), datasets held as one array
 * ({@link org.grad4j.data.ImageDataset}), PyTorch's bilinear resize ({@link org.grad4j.data.Resize})
 * and a seeded batch loader with optional prefetch ({@link org.grad4j.data.DataLoader}).
 *
 * <p>Bad files raise {@link java.io.IOException}s whose messages name the file, what was found
 * and what was expected; bad arguments raise {@link IllegalArgumentException}s. See
 * {@code docs/data.md} for where data is looked for and how to get it.
 */
package org.grad4j.data;
