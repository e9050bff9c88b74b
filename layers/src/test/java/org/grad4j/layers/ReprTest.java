package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code toString()} prints exactly what PyTorch's {@code print(net)} prints. */
class ReprTest {

    @Test
    void bnLeNetPrintsLikePyTorch() {
        assertEquals("Sequential(\n"
                + "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (1): BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                + "  (2): Sigmoid()\n"
                + "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
                + "  (4): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
                + "  (5): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                + "  (6): Sigmoid()\n"
                + "  (7): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
                + "  (8): Flatten(start_dim=1, end_dim=-1)\n"
                + "  (9): Linear(in_features=256, out_features=120, bias=True)\n"
                + "  (10): BatchNorm1d(120, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                + "  (11): Sigmoid()\n"
                + "  (12): Linear(in_features=120, out_features=84, bias=True)\n"
                + "  (13): BatchNorm1d(84, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                + "  (14): Sigmoid()\n"
                + "  (15): Linear(in_features=84, out_features=10, bias=True)\n"
                + ")", Nets.bnLeNet(256).toString());
    }

    @Test
    void nestedAndNamedChildrenAreIndented() {
        Sequential net = new Sequential(new Sequential(new Linear(2, 3), new ReLU()), new Sequential());
        assertEquals("Sequential(\n"
                + "  (0): Sequential(\n"
                + "    (0): Linear(in_features=2, out_features=3, bias=True)\n"
                + "    (1): ReLU()\n"
                + "  )\n"
                + "  (1): Sequential()\n"
                + ")", net.toString());
        assertEquals("Net(\n"
                + "  (conv1): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
                + "  (bn1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                + ")", new ModuleTest.Net().toString());
    }

    @Test
    void everyLayer() {
        Random rng = new Random(345);
        assertEquals("Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)",
                new Conv2d(2, 3, 3, 2, 1, false, rng).toString());
        assertEquals("Conv2d(3, 4, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))",
                new Conv2d(3, 4, 5, 1, 2).toString());
        assertEquals("Linear(in_features=84, out_features=10, bias=False)", new Linear(84, 10, false).toString());
        assertEquals("MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=False)",
                new MaxPool2d(3, 1, 1).toString());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
                new MaxPool2d(2).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2, 2).toString());
        assertEquals("AvgPool2d(kernel_size=3, stride=3, padding=1)", new AvgPool2d(3, 3, 1).toString());
        assertEquals("Sigmoid()", new Sigmoid().toString());
        assertEquals("ReLU()", new ReLU().toString());
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
        assertEquals("Flatten(start_dim=0, end_dim=2)", new Flatten(0, 2).toString());
        assertEquals("Dropout(p=0.5, inplace=False)", new Dropout(0.5).toString());
        assertEquals("Dropout(p=0.25, inplace=False)", new Dropout(0.25, rng).toString());
        assertEquals("LayerNorm((6,), eps=1e-05, elementwise_affine=True)", new LayerNorm(6).toString());
        assertEquals("LayerNorm((2, 3), eps=0.001, elementwise_affine=False)",
                new LayerNorm(new int[] {2, 3}, 1e-3, false).toString());
        assertEquals("BatchNorm1d(120, eps=0.001, momentum=None, affine=False, track_running_stats=False)",
                new BatchNorm1d(120, 1e-3, null, false, false).toString());
        assertEquals("BatchNorm2d(6, eps=1e-05, momentum=0.01, affine=True, track_running_stats=True)",
                new BatchNorm2d(6, 1e-5, 0.01, true, true).toString());
        assertEquals("ScratchBatchNorm(num_features=6, num_dims=4)", new ScratchBatchNorm(6, 4).toString());
    }

    @Test
    void floatsArePrintedAsPythonDoes() {
        assertEquals("1e-05", Repr.pyFloat(1e-5));
        assertEquals("1.5e-07", Repr.pyFloat(1.5e-7));
        assertEquals("0.0001", Repr.pyFloat(1e-4));
        assertEquals("0.1", Repr.pyFloat(0.1));
        assertEquals("0.9", Repr.pyFloat(0.9));
        assertEquals("1.0", Repr.pyFloat(1.0));
        assertEquals("-0.5", Repr.pyFloat(-0.5));
        assertEquals("123.25", Repr.pyFloat(123.25));
        assertEquals("100.0", Repr.pyFloat(100));
        assertEquals("1000000000000000.0", Repr.pyFloat(1e15));
        assertEquals("1e+16", Repr.pyFloat(1e16));
        assertEquals("1.2345e+100", Repr.pyFloat(1.2345e100));
        assertEquals("0.0", Repr.pyFloat(0.0));
        assertEquals("-0.0", Repr.pyFloat(-0.0));
        assertEquals("None", Repr.pyFloat((Double) null));
        assertEquals("inf", Repr.pyFloat(Double.POSITIVE_INFINITY));
        assertEquals("nan", Repr.pyFloat(Double.NaN));
        assertEquals("(6,)", Repr.tuple(6));
        assertEquals("(5, 5)", Repr.tuple(5, 5));
    }
}
