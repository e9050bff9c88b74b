package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** permute, transpose, expand, squeeze/unsqueeze, narrow/select, split/chunk, cat/stack: values against index loops, gradients by gradcheck. */
class LayoutTest {
    private static Tensor x234() {
        return Tensor.randn(new Random(345), 2, 3, 4).requiresGrad(true);
    }

    @Test
    void permuteMovesEveryValue() {
        Tensor x = x234();
        Tensor y = x.permute(2, 0, 1);
        assertEquals(Shape.of(4, 2, 3), y.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    assertEquals(x.get(i, j, k), y.get(k, i, j));
                }
            }
        }
        GradCheck.check("permute", in -> in[0].permute(2, 0, 1), x);
        GradCheck.check("permute", in -> in[0].permute(-1, 1, 0), x);
        assertEquals(Tensor.scalar(3).permute().item(), 3f);
    }

    @Test
    void transposeOfAnyTwoDims() {
        Tensor x = x234();
        Tensor y = x.transpose(0, 2);
        assertEquals(Shape.of(4, 3, 2), y.shape());
        assertEquals(x.get(1, 2, 3), y.get(3, 2, 1));
        assertArrayEquals(x.permute(0, 2, 1).toArray(), x.transpose(-1, -2).toArray());
        GradCheck.check("transpose", in -> in[0].transpose(1, 2), x);
        assertEquals("grad_fn=<transpose>", recordedName(() -> x.transpose(0, 1)));
    }

    private static String recordedName(java.util.function.Supplier<Tensor> op) {
        try (Tape tape = Tape.record()) {
            String s = op.get().toString();
            return s.substring(s.lastIndexOf("grad_fn"), s.length() - 1);
        }
    }

    @Test
    void expandStretchesSizeOneAndAddsLeadingDims() {
        Tensor x = Tensor.randn(new Random(345), 3, 1).requiresGrad(true);
        Tensor y = x.expand(2, 3, 4);
        assertEquals(Shape.of(2, 3, 4), y.shape());
        assertEquals(x.get(2, 0), y.get(1, 2, 3));
        assertEquals(Shape.of(3, 5), x.expand(-1, 5).shape());
        GradCheck.check("expand", in -> in[0].expand(2, 3, 4), x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.expand(4, 4));
        assertEquals("expand: shape [3, 1] cannot be expanded to [4, 4] (dimension 0: 3 to 4; only sizes of 1 stretch)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.expand(3));
        assertEquals("expand: shape [3] has fewer dimensions than [3, 1]", e.getMessage());
    }

    @Test
    void squeezeAndUnsqueezeAreViews() {
        Tensor x = Tensor.randn(new Random(345), 2, 1, 3).requiresGrad(true);
        assertEquals(Shape.of(2, 3), x.squeeze().shape());
        assertEquals(Shape.of(2, 3), x.squeeze(1).shape());
        assertEquals(Shape.of(2, 1, 3), x.squeeze(0).shape(), "a dimension of size 2 stays");
        assertEquals(Shape.of(1, 2, 1, 3), x.unsqueeze(0).shape());
        assertEquals(Shape.of(2, 1, 3, 1), x.unsqueeze(-1).shape());
        assertEquals(Shape.of(2, 1, 1, 3), x.unsqueeze(2).shape());
        assertEquals(Shape.SCALAR, Tensor.ones(1, 1).squeeze().shape());
        Tensor v = Tensor.zeros(1, 3);
        v.squeeze().fill(2);
        assertEquals(2f, v.get(0, 1), "squeeze shares the values");
        GradCheck.check("squeeze", in -> in[0].squeeze(1), x);
        GradCheck.check("unsqueeze", in -> in[0].unsqueeze(1), x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(4));
        assertEquals("unsqueeze: dimension 4 is out of range for shape [2, 1, 3] (expected -4 to 3)", e.getMessage());
    }

    @Test
    void narrowAndSelect() {
        Tensor x = x234();
        Tensor n = x.narrow(2, 1, 2);
        assertEquals(Shape.of(2, 3, 2), n.shape());
        assertEquals(x.get(1, 2, 2), n.get(1, 2, 1));
        Tensor s = x.select(1, -1);
        assertEquals(Shape.of(2, 4), s.shape());
        assertEquals(x.get(1, 2, 3), s.get(1, 3));
        GradCheck.check("narrow", in -> in[0].narrow(1, 1, 2), x);
        GradCheck.check("select", in -> in[0].select(0, 1), x);
        assertEquals(Shape.of(2, 0, 4), x.narrow(1, 3, 0).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.narrow(1, 2, 2));
        assertEquals("narrow: range [2, 4) is out of bounds for dimension 1 of shape [2, 3, 4] (size 3)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.select(2, 4));
        assertEquals("select: index 4 is out of range for dimension 2 of shape [2, 3, 4] (expected -4 to 3)",
                e.getMessage());
    }

    @Test
    void splitChunkAndCatAreInverse() {
        Tensor x = Tensor.randn(new Random(345), 2, 7).requiresGrad(true);
        List<Tensor> parts = x.split(3, 1);
        assertEquals(3, parts.size());
        assertEquals(Shape.of(2, 1), parts.get(2).shape());
        assertArrayEquals(x.toArray(), Tensor.cat(parts, 1).toArray());
        List<Tensor> chunks = x.chunk(3, -1);
        assertEquals(List.of(Shape.of(2, 3), Shape.of(2, 3), Shape.of(2, 1)),
                chunks.stream().map(Tensor::shape).toList());
        // PyTorch: 5 values in 4 chunks are pieces of 2, so only 3 chunks.
        assertEquals(3, Tensor.zeros(5).chunk(4, 0).size());
        GradCheck.check("split", in -> in[0].split(3, 1).get(1), x);
        GradCheck.check("chunk", in -> in[0].chunk(2, 0).get(1), x);
        GradCheck.check("cat of pieces", in -> Tensor.cat(in[0].split(2, 1), 1), x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.split(0, 1));
        assertEquals("split: split size must be positive, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.chunk(0, 1));
        assertEquals("chunk: number of chunks must be positive, got 0", e.getMessage());
    }

    @Test
    void catAndStackOfSeveralTensors() {
        Tensor a = Tensor.randn(new Random(345), 2, 3).requiresGrad(true);
        Tensor b = Tensor.randn(new Random(346), 2, 1).requiresGrad(true);
        Tensor c = Tensor.randn(new Random(347), 2, 3).requiresGrad(true);
        Tensor y = Tensor.cat(List.of(a, b, c), 1);
        assertEquals(Shape.of(2, 7), y.shape());
        assertEquals(b.get(1, 0), y.get(1, 3));
        assertEquals(c.get(1, 2), y.get(1, 6));
        GradCheck.check("cat", in -> Tensor.cat(List.of(in[0], in[1], in[2], in[0]), -1), a, b, c);
        Tensor s = Tensor.stack(List.of(a, c), 1);
        assertEquals(Shape.of(2, 2, 3), s.shape());
        assertEquals(c.get(1, 2), s.get(1, 1, 2));
        assertEquals(Shape.of(2, 3, 2), Tensor.stack(List.of(a, c), -1).shape());
        GradCheck.check("stack", in -> Tensor.stack(List.of(in[0], in[1]), 2), a, c);
        assertEquals(Shape.of(1, 2, 3), Tensor.stack(List.of(a), 0).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.cat(List.of(a, b), 0));
        assertEquals("cat: tensor 1 has shape [2, 1], expected the shape of tensor 0 [2, 3] except in dimension 0",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.stack(List.of(a, b), 0));
        assertEquals("stack: tensor 1 has shape [2, 1], expected the shape [2, 3] of tensor 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.cat(java.util.Arrays.asList(a, null), 0));
        assertEquals("cat: tensor 1 is null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(), 0));
        assertEquals("cat: expected a non-empty list of tensors", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.stack(List.of(a), 3));
        assertEquals("stack: dimension 3 is out of range for shape [2, 3] (expected -3 to 2)", e.getMessage());
    }

    @Test
    void permuteErrors() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.permute(0));
        assertEquals("permute: [0] has 1 dimensions, expected 2 for shape [2, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.permute(1, -1));
        assertEquals("permute: dimension 1 appears more than once in [1, -1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.transpose(0, 2));
        assertEquals("transpose: dimension 2 is out of range for shape [2, 3] (expected -2 to 1)", e.getMessage());
    }
}
