package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ShapeTest {
    @Test
    void sizeStridesAndNegativeAxes() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(24, s.size());
        assertEquals(3, s.rank());
        assertArrayEquals(new int[] {12, 4, 1}, s.strides());
        assertEquals(4, s.dim(-1));
        assertEquals(2, s.axis(-1, "op"));
        assertEquals("[2, 3, 4]", s.toString());
        assertEquals(1, Shape.SCALAR.size());
        assertEquals("[]", Shape.of().toString());
        assertEquals(0, Shape.of(3, 0).size());
    }

    @Test
    void dimsAreCopied() {
        int[] d = {2, 3};
        Shape s = Shape.of(d);
        d[0] = 7;
        s.dims()[1] = 9;
        assertEquals(Shape.of(2, 3), s);
    }

    @Test
    void broadcastFollowsNumPy() {
        assertEquals(Shape.of(2, 3), Shape.broadcast("add", Shape.of(2, 3), Shape.of(3)));
        assertEquals(Shape.of(4, 2, 3), Shape.broadcast("add", Shape.of(4, 1, 3), Shape.of(2, 1)));
        assertEquals(Shape.of(2, 3), Shape.broadcast("add", Shape.SCALAR, Shape.of(2, 3)));
        assertEquals(Shape.of(0, 3), Shape.broadcast("add", Shape.of(0, 1), Shape.of(3)));
    }

    @Test
    void broadcastErrorNamesOpAndShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.broadcast("add", Shape.of(2, 3), Shape.of(4)));
        assertEquals("add: shapes [2, 3] and [4] cannot broadcast", e.getMessage());
    }

    @Test
    void negativeDimensionIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        assertEquals("shape [2, -1] has a negative dimension", e.getMessage());
    }

    @Test
    void tooManyElementsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.of(65536, 65536));
        assertEquals("shape [65536, 65536] has more than 2147483647 elements", e.getMessage());
    }

    @Test
    void axisOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.of(2, 3).axis(2, "sum"));
        assertEquals("sum: dimension 2 is out of range for shape [2, 3] (expected -2 to 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shape.SCALAR.axis(0, "max"));
        assertEquals("max: dimension 0 is out of range for shape [] (expected none, it is a scalar)",
                e.getMessage());
    }
}
