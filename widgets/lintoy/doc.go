// Package lintoy is the interactive 2-D linear classifier of the course's
// linear-classification demo: three classes of points on a plane, a linear
// score W·x + b per class, the decision regions it draws, and the
// multiclass SVM or softmax loss, updating live while points, decision
// lines and weight vectors are dragged or gradient descent steps.
//
// Model is the plain arithmetic (scores, losses, gradients, a step); Plane
// draws a Model and makes it draggable; Toy puts the plane beside its
// controls and read-outs.
package lintoy
