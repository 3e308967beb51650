"""Where trainings run: in this process, or in Ray actors on a cluster (the `cluster` extra).

settings reads the two CNNVIZ_RAY_* variables; executors joins the cluster and makes a job of
the right kind; ray_jobs is the server side of a Ray training and ray_actor the actor's. Both
kinds of job share cnnviz.training.job_base and the interface of cnnviz.training.job_interface.
"""
