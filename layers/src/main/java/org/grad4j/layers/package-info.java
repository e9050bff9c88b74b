/**
 * Layers with PyTorch's semantics: {@link org.grad4j.layers.Module} (parameters, buffers, children,
 * train/eval, state dicts with PyTorch's keys, PyTorch's printing), the layers of the d2l chapter on
 * batch normalisation ({@link org.grad4j.layers.Conv2d}, {@link org.grad4j.layers.BatchNorm2d},
 * {@link org.grad4j.layers.Sigmoid}, {@link org.grad4j.layers.MaxPool2d},
 * {@link org.grad4j.layers.Flatten}, {@link org.grad4j.layers.Linear},
 * {@link org.grad4j.layers.BatchNorm1d}), a few more ({@link org.grad4j.layers.ReLU},
 * {@link org.grad4j.layers.AvgPool2d}, {@link org.grad4j.layers.Dropout},
 * {@link org.grad4j.layers.LayerNorm}), the chapter's from-scratch
 * {@link org.grad4j.layers.ScratchBatchNorm}, initialisers ({@link org.grad4j.layers.Init}) and
 * safetensors checkpoints ({@link org.grad4j.layers.StateDicts}).
 *
 * <p>The layers are bookkeeping: the math, and its gradients, is core's
 * ({@link org.grad4j.core.Functional} and {@link org.grad4j.core.Tensor}). {@code docs/layers.md}
 * lists every layer with its PyTorch equivalent; {@code docs/semantics.md} writes out BatchNorm's
 * formulas and the training/grad mode distinction.
 */
package org.grad4j.layers;
