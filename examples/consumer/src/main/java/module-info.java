/** A program that uses grad4j; on the module path it needs only this. */
module org.example.consumer {
    requires org.grad4j.train;
}
