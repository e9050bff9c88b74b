package org.grad4j.train;

import static org.grad4j.train.OptimizerGoldenTest.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

class GradientsTest {
    @Test
    void clipsByTheNormOfAllGradientsTogether() {
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        Tensor b = Tensor.zeros(1).requiresGrad(true);
        Tensor none = Tensor.zeros(3).requiresGrad(true);
        setGrad(a, Tensor.of(new float[] {3, 0}));
        setGrad(b, Tensor.of(new float[] {-4}));
        assertEquals(5.0, Gradients.clipNorm(List.of(a, none, b), 1), "sqrt(3^2 + 4^2), the gradient-less skipped");
        float coef = 1f / (5f + 1e-6f);
        assertArrayEquals(new float[] {3 * coef, 0}, a.grad().toArray());
        assertArrayEquals(new float[] {-4 * coef}, b.grad().toArray());
        assertEquals(null, none.grad());
    }

    @Test
    void frozenParametersAreLeftOutOfTheNormAndKeepTheirGradient() {
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        Tensor frozen = Tensor.zeros(1).requiresGrad(true);
        setGrad(a, Tensor.of(new float[] {3, 4}));
        setGrad(frozen, Tensor.of(new float[] {12}));
        frozen.requiresGrad(false);   // frozen after its gradient was computed: no optimizer uses it
        assertEquals(5.0, Gradients.clipNorm(List.of(a, frozen), 1), "sqrt(3^2 + 4^2), not 13");
        float coef = 1f / (5f + 1e-6f);
        assertArrayEquals(new float[] {3 * coef, 4 * coef}, a.grad().toArray());
        assertArrayEquals(new float[] {12}, frozen.grad().toArray());
        assertEquals(0.0, Gradients.clipNorm(List.of(frozen), 1, Double.POSITIVE_INFINITY, true));
        assertArrayEquals(new float[] {12}, frozen.grad().toArray());
    }

    @Test
    void infinityNormIsTheLargestMagnitudeAndSmallNormsStay() {
        Tensor a = Tensor.zeros(3).requiresGrad(true);
        setGrad(a, Tensor.of(new float[] {1, -7, 2}));
        assertEquals(7.0, Gradients.clipNorm(List.of(a), 100, Double.POSITIVE_INFINITY, false));
        assertArrayEquals(new float[] {1, -7, 2}, a.grad().toArray());
    }

    @Test
    void noGradientsGiveZero() {
        assertEquals(0.0, Gradients.clipNorm(List.of(Tensor.zeros(2).requiresGrad(true)), 1));
    }

    @Test
    void aNonFiniteNormFailsAndChangesNothingWhenAsked() {
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        setGrad(a, Tensor.of(new float[] {Float.NaN, 1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gradients.clipNorm(List.of(a), 1, 2, true));
        assertEquals("clipNorm: the total norm of order 2.0 of the gradients is NaN, so they cannot be clipped "
                + "(pass errorIfNonfinite false to scale them anyway)", e.getMessage());
        assertEquals(1f, a.grad().toArray()[1], "unchanged");
        assertTrue(Double.isNaN(Gradients.clipNorm(List.of(a), 1)), "PyTorch's default scales by NaN");
        assertTrue(Float.isNaN(a.grad().toArray()[1]));
    }

    @Test
    void invalidArgumentsAreNamed() {
        List<Tensor> ps = List.of(Tensor.zeros(1).requiresGrad(true));
        assertEquals("clipNorm: invalid max norm -1.0 (expected >= 0)",
                assertThrows(IllegalArgumentException.class, () -> Gradients.clipNorm(ps, -1)).getMessage());
        assertEquals("clipNorm: invalid norm type 0.0 (expected > 0 or infinity)",
                assertThrows(IllegalArgumentException.class, () -> Gradients.clipNorm(ps, 1, 0, false)).getMessage());
    }
}
