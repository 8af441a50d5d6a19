"""`torchlings grade`: judging learners' workspaces with the installed course.

    course = PinnedCourse.load()                    # or PinnedCourse.load(root) for a course of one's own
    grades = grade(course, [Path("alice"), ...], engine_factory, on_result=...)

The course (catalog, numbering, checks) comes from `course.root`, read once
before any learner code runs; a workspace gives only its exercise files.
"""
