package org.grad4j.layers;

/** The chapter's networks, for tests. */
final class Nets {
    private Nets() {
    }

    /**
     * The chapter's BN-LeNet (d2l 8.5.4, "Applying Batch Normalization in LeNet") with the first
     * fully connected layer sized for the input: 256 inputs for 28x28 images, 7056 for 96x96.
     */
    static Sequential bnLeNet(int flatFeatures) {
        return new Sequential(
                new Conv2d(1, 6, 5), new BatchNorm2d(6), new Sigmoid(), new MaxPool2d(2, 2),
                new Conv2d(6, 16, 5), new BatchNorm2d(16), new Sigmoid(), new MaxPool2d(2, 2),
                new Flatten(),
                new Linear(flatFeatures, 120), new BatchNorm1d(120), new Sigmoid(),
                new Linear(120, 84), new BatchNorm1d(84), new Sigmoid(),
                new Linear(84, 10));
    }
}
